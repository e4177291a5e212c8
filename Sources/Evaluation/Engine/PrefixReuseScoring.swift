import Models

/// Log-likelihood scoring with prefix reuse: consecutive items are scored in windows that share
/// one KV cache.
///
/// Cache rows of a window:
///   row 0                the window's common context prefix (MMLU's few-shot block), kept across
///                        windows and extended only by what is not cached yet;
///   rows 1 … W           item k's context remainder, reading row 0's prefix in place;
///   rows W+1 …           one per continuation longer than one token, reading its item's context.
/// Stage 1 runs every item's remainder in one packed forward; the last context position of each
/// item gives the first continuation token's log-probability for all its choices (one forward
/// scores MMLU's " A"…" D"). Stage 2 runs the rest of the multi-token continuations, packed.
extension ModelBackend {
    /// Consecutive groups (items) scored together, with the length of their common prefix.
    struct ScoringWindow {
        let groups: Range<Int>
        let shared: Int
        /// Continuations longer than one token (stage-2 rows).
        let branches: Int
    }

    func scoreWithPrefixReuse(_ requests: [Tokenized], progress: (Int) -> Void) throws -> [LoglikelihoodResult] {
        // Consecutive requests with the same context form a group (one item's choices).
        var groups: [[Int]] = []
        for i in requests.indices {
            if let last = groups.last?.first, requests[last].context == requests[i].context { groups[groups.count - 1].append(i) }
            else { groups.append([i]) }
        }
        let capacity = requests.map { $0.context.count + $0.continuation.count }.max() ?? 1
        // Rows the cache may hold within its memory budget (each row reserves every position).
        let bytesPerRow = 2 * model.config.layerCount * capacity * model.config.keyValueWidth * MemoryLayout<Float>.size
        let maxRows = max(3, cacheBudgetBytes / max(bytesPerRow, 1))
        let windows = planWindows(groups, requests, maxRows: maxRows)
        let rows = windows.map { 1 + $0.groups.count + $0.branches }.max() ?? 1
        let cache = KVCache(config: model.config, batch: rows, capacity: capacity)
        var results = [LoglikelihoodResult?](repeating: nil, count: requests.count)
        var done = 0
        for window in windows {
            try score(window, groups, requests, cache: cache, into: &results)
            done += groups[window.groups].reduce(0) { $0 + $1.count }
            progress(done)
        }
        return results.map { $0! }
    }

    /// Splits the items into windows. A run of consecutive items that share a context prefix of at
    /// least `minimumSharedPrefix` tokens (MMLU's few-shot block within a subject) is windowed on
    /// its own, so that prefix is computed once; other items (zero-shot tasks, or runs too short
    /// to save `maxRecomputedTokens`) are packed side by side. A window holds at most
    /// `itemsPerForward` items, `maxWindowTokens` packed positions per stage and `maxRows` cache rows.
    func planWindows(_ groups: [[Int]], _ requests: [Tokenized], maxRows: Int) -> [ScoringWindow] {
        let contexts = groups.map { requests[$0[0]].context }
        let branches = groups.map { $0.filter { requests[$0].continuation.count > 1 }.count }
        let branchTokens = groups.map { $0.reduce(0) { $0 + requests[$1].continuation.count - 1 } }
        // lcp[i]: common prefix of items i and i+1, leaving each item at least its last context
        // token (its logits score the first continuation token).
        let lcp = contexts.indices.dropLast().map { i -> Int in
            let a = contexts[i], b = contexts[i + 1], limit = min(a.count, b.count) - 1
            var n = 0
            while n < limit, a[n] == b[n] { n += 1 }
            return n
        }
        // Segments: sharing runs, and the loose items between them.
        var segments: [Range<Int>] = []
        var loose: Int?
        var i = 0
        while i < groups.count {
            var j = i, run = Int.max
            while j < lcp.count, lcp[j] >= Self.minimumSharedPrefix { run = min(run, lcp[j]); j += 1 }
            if j > i && run * (j - i) >= Self.maxRecomputedTokens {
                if let l = loose { segments.append(l..<i); loose = nil }
                segments.append(i..<(j + 1))
                i = j + 1
            } else {
                if loose == nil { loose = i }
                i += 1
            }
        }
        if let l = loose { segments.append(l..<groups.count) }

        var windows: [ScoringWindow] = []
        for segment in segments {
            var start = segment.lowerBound
            while start < segment.upperBound {
                var shared = contexts[start].count - 1, end = start + 1, branchRows = branches[start]
                var contextTokens = contexts[start].count, stage2 = branchTokens[start]
                while end < segment.upperBound, end - start < itemsPerForward {
                    let common = min(shared, lcp[end - 1])
                    let rows = 1 + (end + 1 - start) + branchRows + branches[end]
                    // Stage 1 packs every context minus the shared prefix.
                    let packed = contextTokens + contexts[end].count - (end + 1 - start) * common
                    guard rows <= maxRows, packed <= Self.maxWindowTokens, stage2 + branchTokens[end] <= Self.maxWindowTokens else { break }
                    shared = common; branchRows += branches[end]
                    contextTokens += contexts[end].count; stage2 += branchTokens[end]
                    end += 1
                }
                windows.append(ScoringWindow(groups: start..<end, shared: shared, branches: branchRows))
                start = end
            }
        }
        return windows
    }

    func score(_ window: ScoringWindow, _ groups: [[Int]], _ requests: [Tokenized], cache: KVCache,
               into results: inout [LoglikelihoodResult?]) throws {
        let items = Array(groups[window.groups])
        let contexts = items.map { requests[$0[0]].context }
        // Row 0: the shared prefix, extended only past what it already holds.
        cache.release(rows: 1..<cache.batch)
        let prefix = contexts[0][..<window.shared].map(Int32.init)
        let reuse = cache.commonPrefix(row: 0, with: prefix)
        cache.truncate(row: 0, to: reuse)
        if reuse < prefix.count {
            var rows = [[Int]](repeating: [], count: cache.batch)
            rows[0] = prefix[reuse...].map(Int.init)
            _ = try forwardCounted(rows, cache: cache, outputs: .none)
        }

        // Stage 1: every item's context remainder, packed into one forward.
        var rows = [[Int]](repeating: [], count: cache.batch)
        for (k, context) in contexts.enumerated() {
            if window.shared > 0 { cache.sharePrefix(from: 0, to: k + 1, length: window.shared) }
            rows[k + 1] = Array(context[window.shared...])
        }
        let out = try forwardCounted(rows, cache: cache, outputs: .last)
        let lastRows = contexts.indices.map { out.row($0 + 1, rows[$0 + 1].count - 1) }
        let logits = model.decoder.logits(out, rows: lastRows)
        let v = model.config.vocabularySize
        let firstToken = contexts.indices.map { LogSoftmaxRow(logits.data + $0 * v, count: v) }

        // Stage 2: continuations longer than one token, each reading its item's context in place.
        var branchRow: [Int: Int] = [:]
        var next = [[Int]](repeating: [], count: cache.batch)
        for (k, group) in items.enumerated() {
            for i in group where requests[i].continuation.count > 1 {
                let row = 1 + items.count + branchRow.count
                cache.sharePrefix(from: k + 1, to: row, length: contexts[k].count)
                next[row] = Array(requests[i].continuation.dropLast())
                branchRow[i] = row
            }
        }
        var branchScores: (output: IncrementalOutput, logProbs: [Double], greedy: [Bool])?
        if !branchRow.isEmpty {
            let branched = try forwardCounted(next, cache: cache, outputs: .all)
            var targets = [Int32](repeating: -100, count: branched.rows)
            for (i, row) in branchRow {
                for (j, token) in requests[i].continuation.dropFirst().enumerated() { targets[branched.row(row, j)] = Int32(token) }
            }
            let (logProbs, greedy) = model.decoder.score(branched, targets: targets)
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
