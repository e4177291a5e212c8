import Models

/// Log-likelihood scoring with prefix reuse: items, taken in token order, are scored in windows
/// that share one KV cache (`ScoringWindowPlanner` chooses the windows).
///
/// Cache rows of a window:
///   row 0                the window's common context prefix (MMLU's few-shot block, plus a
///                        passage its questions share), kept across windows and extended only by
///                        what is not cached yet;
///   rows 1 … W           item k's context remainder, reading row 0's prefix in place;
///   rows W+1 …           one per continuation longer than one token, reading its item's context.
/// Stage 1 runs every item's remainder in one packed forward; the last context position of each
/// item gives the first continuation token's log-probability for all its choices (one forward
/// scores MMLU's " A"…" D"). Stage 2 runs the rest of the multi-token continuations, packed.
extension ModelBackend {
    func scoreWithPrefixReuse(_ requests: [Tokenized], progress: (Int) -> Void) throws -> [LoglikelihoodResult] {
        let layout = windowLayout(requests)
        let cache = prefixReuseCache(rows: layout.cacheRows, capacity: layout.capacity)
        var results = [LoglikelihoodResult?](repeating: nil, count: requests.count)
        var done = 0
        for window in layout.windows {
            try score(window, layout.groups, requests, cache: cache, into: &results)
            done += layout.groups[window.groups].reduce(0) { $0 + $1.count }
            progress(done)
        }
        return results.map { $0! }
    }

    /// An empty KV cache of at least `rows` rows and `capacity` positions. The previous call's cache
    /// is emptied and kept when it is large enough: a new one of up to `cacheBudgetBytes` costs the
    /// kernel's zeroing of every page on first touch, once per subset of a benchmark otherwise
    /// (57 times for MMLU). Emptied, it scores exactly as a new one: row 0 starts with no prefix
    /// and slots past a row's length are masked.
    func prefixReuseCache(rows: Int, capacity: Int) -> KVCache {
        if let cache = reusableCache, cache.batch >= rows, cache.capacity >= capacity {
            cache.reset()
            return cache
        }
        reusableCache = nil   // the old cache goes before the new one is mapped: never both at once
        let cache = KVCache(config: model.config, batch: rows, capacity: capacity)
        reusableCache = cache
        prefixReuseCacheAllocations += 1
        return cache
    }

    /// Items (consecutive requests with the same context: one item's choices) in token order,
    /// their windows and the KV cache they need.
    struct WindowLayout {
        let groups: [[Int]]
        let windows: [ScoringWindow]
        let cacheRows: Int, capacity: Int
    }

    func windowLayout(_ requests: [Tokenized]) -> WindowLayout {
        var groups: [[Int]] = []
        for i in requests.indices {
            if let last = groups.last?.first, requests[last].context == requests[i].context { groups[groups.count - 1].append(i) }
            else { groups.append([i]) }
        }
        // Items in token order (a trie's depth-first order): items that share a prefix become
        // neighbours, so a window can compute it once. MMLU's history questions share passages
        // with questions 1–20 places away in the file; sorted, their windows compute each passage
        // once instead of once per question. Scores are returned in request order.
        groups.sort { a, b in
            let (x, y) = (requests[a[0]].context, requests[b[0]].context)
            return x == y ? a[0] < b[0] : x.lexicographicallyPrecedes(y)
        }
        let capacity = requests.map { $0.context.count + $0.continuation.count }.max() ?? 1
        // Rows the cache may hold within its memory budget (each row reserves every position).
        let bytesPerRow = 2 * model.config.layerCount * capacity * model.config.keyValueWidth * MemoryLayout<Float>.size
        let maxRows = max(3, cacheBudgetBytes / max(bytesPerRow, 1))
        let windows = planWindows(groups, requests, maxRows: maxRows)
        let rows = windows.map { 1 + $0.groups.count + $0.branches }.max() ?? 1
        return WindowLayout(groups: groups, windows: windows, cacheRows: rows, capacity: capacity)
    }

    /// The work `scoreWithPrefixReuse` does on these requests, counted from the same windows
    /// without running the model (row 0 starts empty, as a fresh cache does).
    func plannedCostWithPrefixReuse(_ requests: [Tokenized]) -> ForwardCost {
        let layout = windowLayout(requests), layers = model.config.layerCount
        var cost = ForwardCost()
        var prefixRow: [Int] = []
        for window in layout.windows {
            let forwards = self.forwards(of: window, layout.groups, requests)
            let reuse = commonPrefixLength(prefixRow, forwards.prefix, limit: forwards.prefix.count)
            if reuse < forwards.prefix.count {
                cost += .cached(starts: [reuse], counts: [forwards.prefix.count - reuse], outputs: .none, layers: layers)
            }
            prefixRow = forwards.prefix
            cost += .cached(starts: forwards.items.map { _ in window.shared }, counts: forwards.items.map(\.count),
                            outputs: .last, layers: layers)
            cost.logitRows += forwards.items.count
            cost += .cached(starts: forwards.branches.map { forwards.contexts[$0.item].count }, counts: forwards.branches.map(\.tokens.count),
                            outputs: .all, layers: layers)
            cost.logitRows += forwards.branches.reduce(0) { $0 + $1.tokens.count }
        }
        return cost
    }

    /// Splits the items into windows of least work (`ScoringWindowPlanner`).
    func planWindows(_ groups: [[Int]], _ requests: [Tokenized], maxRows: Int) -> [ScoringWindow] {
        let contexts = groups.map { requests[$0[0]].context }
        let items = zip(groups, contexts).map { group, context in
            ScoringWindowPlanner.Item(contextLength: context.count,
                                      branches: group.filter { requests[$0].continuation.count > 1 }.count,
                                      branchTokens: group.reduce(0) { $0 + requests[$1].continuation.count - 1 })
        }
        // Each item keeps at least its last context token (its logits score the first continuation token).
        let commonPrefix = contexts.indices.dropLast().map { i in
            commonPrefixLength(contexts[i], contexts[i + 1], limit: min(contexts[i].count, contexts[i + 1].count) - 1)
        }
        let planner = ScoringWindowPlanner(config: model.config, itemsPerForward: itemsPerForward, maxRows: maxRows,
                                           maxWindowTokens: Self.maxWindowTokens)
        return planner.plan(items, commonPrefix: commonPrefix)
    }

    /// What a window feeds the model: row 0's shared prefix, each item's context remainder
    /// (stage 1, read after the prefix) and each multi-token continuation minus its last token
    /// (stage 2, read after its item's whole context).
    struct WindowForwards {
        let contexts: [[Int]]
        let prefix: [Int]
        let items: [[Int]]
        let branches: [(request: Int, item: Int, tokens: [Int])]
    }

    func forwards(of window: ScoringWindow, _ groups: [[Int]], _ requests: [Tokenized]) -> WindowForwards {
        let items = Array(groups[window.groups])
        let contexts = items.map { requests[$0[0]].context }
        var branches: [(request: Int, item: Int, tokens: [Int])] = []
        for (k, group) in items.enumerated() {
            for i in group where requests[i].continuation.count > 1 {
                branches.append((i, k, Array(requests[i].continuation.dropLast())))
            }
        }
        return WindowForwards(contexts: contexts, prefix: Array(contexts[0][..<window.shared]),
                              items: contexts.map { Array($0[window.shared...]) }, branches: branches)
    }

    func score(_ window: ScoringWindow, _ groups: [[Int]], _ requests: [Tokenized], cache: KVCache,
               into results: inout [LoglikelihoodResult?]) throws {
        let items = Array(groups[window.groups])
        let plan = forwards(of: window, groups, requests)
        let contexts = plan.contexts
        // Row 0: the shared prefix, extended only past what it already holds.
        cache.release(rows: 1..<cache.batch)
        let prefix = plan.prefix.map(Int32.init)
        let reuse = cache.commonPrefix(row: 0, with: prefix)
        cache.truncate(row: 0, to: reuse)
        if reuse < prefix.count {
            var rows = [[Int]](repeating: [], count: cache.batch)
            rows[0] = plan.prefix[reuse...].map { $0 }
            _ = try forwardCounted(rows, cache: cache, outputs: .none)
        }

        // Stage 1: every item's context remainder, packed into one forward.
        var rows = [[Int]](repeating: [], count: cache.batch)
        for (k, remainder) in plan.items.enumerated() {
            if window.shared > 0 { cache.sharePrefix(from: 0, to: k + 1, length: window.shared) }
            rows[k + 1] = remainder
        }
        let out = try forwardCounted(rows, cache: cache, outputs: .last)
        let lastRows = contexts.indices.map { out.row($0 + 1, rows[$0 + 1].count - 1) }
        let logits = model.decoder.logits(out, rows: lastRows)
        cost.logitRows += lastRows.count
        let v = model.config.vocabularySize
        let firstToken = contexts.indices.map { LogSoftmaxRow(logits.data + $0 * v, count: v) }

        // Stage 2: continuations longer than one token, each reading its item's context in place.
        var branchRow: [Int: Int] = [:]
        var next = [[Int]](repeating: [], count: cache.batch)
        for branch in plan.branches {
            let row = 1 + items.count + branchRow.count
            cache.sharePrefix(from: branch.item + 1, to: row, length: contexts[branch.item].count)
            next[row] = branch.tokens
            branchRow[branch.request] = row
        }
        var branchScores: (output: IncrementalOutput, logProbs: [Double], greedy: [Bool])?
        if !branchRow.isEmpty {
            let branched = try forwardCounted(next, cache: cache, outputs: .all)
            var targets = [Int32](repeating: -100, count: branched.rows)
            for (i, row) in branchRow {
                for (j, token) in requests[i].continuation.dropFirst().enumerated() { targets[branched.row(row, j)] = Int32(token) }
            }
            let (logProbs, greedy) = model.decoder.score(branched, targets: targets)
            cost.logitRows += branched.rows
            branchScores = (branched, logProbs, greedy)
        }

        for (k, group) in items.enumerated() {
            for i in group {
                let continuation = requests[i].continuation
                var sum = firstToken[k].logProb(continuation[0]), allGreedy = firstToken[k].isArgmax(continuation[0])
                if let row = branchRow[i], let (branched, logProbs, greedy) = branchScores {
                    for j in 0..<(continuation.count - 1) {
                        let r = branched.row(row, j)
                        sum += logProbs[r]; allGreedy = allGreedy && greedy[r]
                    }
                }
                results[i] = LoglikelihoodResult(loglikelihood: sum, isGreedy: allGreedy, continuationTokenCount: continuation.count)
            }
        }
    }
}
