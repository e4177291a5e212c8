import Models

/// Consecutive items (groups of requests with one context) scored together in one window of the
/// prefix-reuse path, with the length of the context prefix they all read from cache row 0.
public struct ScoringWindow: Equatable, Sendable {
    public let groups: Range<Int>
    public let shared: Int
    /// Continuations longer than one token (stage-2 rows).
    public let branches: Int
}

/// Splits a sequence of items into scoring windows that minimise the work of scoring them.
///
/// What a window costs: row 0 is extended from what the previous window left there (their common
/// prefix) to this window's shared prefix, then every item's context past that prefix is packed
/// into one forward. A window that shares a long prefix saves recomputing it for each item; a
/// window with many items makes larger matrix products. So MMLU's subjects take 16 questions per
/// window behind the few-shot block, while each passage of the history subjects, shared by
/// several questions (neighbours once items are in token order), gets a window of its own that
/// computes it once.
///
/// The split is optimal for the work model below, by dynamic programming over (window end,
/// window start): a window's row-0 extension depends on the previous window's shared prefix.
public struct ScoringWindowPlanner {
    /// Context length of each item, and its number and total of stage-2 continuation tokens.
    public struct Item: Sendable {
        public let contextLength: Int
        public let branches: Int
        public let branchTokens: Int
        public init(contextLength: Int, branches: Int, branchTokens: Int) {
            self.contextLength = contextLength; self.branches = branches; self.branchTokens = branchTokens
        }
    }

    /// Items per window (packed forwards grow with it; each item needs a cache row).
    public var itemsPerForward: Int
    /// Cache rows available: row 0, one per item, one per stage-2 branch.
    public var maxRows: Int
    /// Packed positions per forward of a window.
    public var maxWindowTokens: Int
    /// Work (flops) of one token through every layer, and of one (query, key) pair in every layer.
    public var tokenWork: Double
    public var pairWork: Double
    /// Work charged per forward, in tokens: streaming the weights and launching a forward cost
    /// about as much as this many tokens of products, so a split must save more than it.
    public var forwardOverheadTokens = 64.0

    public init(itemsPerForward: Int, maxRows: Int, maxWindowTokens: Int, tokenWork: Double, pairWork: Double) {
        self.itemsPerForward = itemsPerForward; self.maxRows = maxRows; self.maxWindowTokens = maxWindowTokens
        self.tokenWork = tokenWork; self.pairWork = pairWork
    }

    /// The planner for `config`'s decoder: work per token and per pair from `ForwardCost`.
    public init(config: LlamaConfig, itemsPerForward: Int, maxRows: Int, maxWindowTokens: Int) {
        var token = ForwardCost(), pair = ForwardCost()
        token.layerTokens = config.layerCount
        pair.attentionPairs = config.layerCount
        self.init(itemsPerForward: itemsPerForward, maxRows: maxRows, maxWindowTokens: maxWindowTokens,
                  tokenWork: token.flops(for: config).total, pairWork: pair.flops(for: config).total)
    }

    /// Windows covering `items` in order. `commonPrefix[i]` is the common context prefix of items
    /// i and i+1, at most one less than either length (each item keeps its last context token,
    /// whose logits score the first continuation token).
    public func plan(_ items: [Item], commonPrefix: [Int]) -> [ScoringWindow] {
        let n = items.count
        guard n > 0 else { return [] }
        precondition(commonPrefix.count == n - 1, "plan: \(n) items need \(n - 1) common prefixes")
        let width = max(1, itemsPerForward)
        // Prefix sums over items: context lengths and their squares (for attention pairs).
        var lengthSum = [0], squareSum = [0.0], branchSum = [0], branchTokenSum = [0]
        for item in items {
            let length = Double(item.contextLength)
            lengthSum.append(lengthSum.last! + item.contextLength); squareSum.append(squareSum.last! + length * length)
            branchSum.append(branchSum.last! + item.branches); branchTokenSum.append(branchTokenSum.last! + item.branchTokens)
        }
        // best[end][k]: least work covering items 0..<end whose last window starts at end-1-k;
        // shared[end][k]: that window's shared prefix; previous[end][k]: the k of the window before.
        var best = [[Double]](repeating: [Double](repeating: .infinity, count: width), count: n + 1)
        var shared = [[Int]](repeating: [Int](repeating: 0, count: width), count: n + 1)
        var previous = [[Int]](repeating: [Int](repeating: -1, count: width), count: n + 1)
        for end in 1...n {
            var prefix = Int.max
            for k in 0..<min(width, end) {
                let start = end - 1 - k
                prefix = min(prefix, items[start].contextLength - 1)
                if k > 0 { prefix = min(prefix, commonPrefix[start]) }
                let count = end - start
                let packed = lengthSum[end] - lengthSum[start] - count * prefix
                guard fits(count: count, branches: branchSum[end] - branchSum[start], packed: packed,
                           branchTokens: branchTokenSum[end] - branchTokenSum[start]) else { break }
                // Stage 1: each item's m = length - prefix tokens after `prefix` cached positions.
                let m = Double(packed)
                let m2 = squareSum[end] - squareSum[start] - 2 * Double(prefix) * Double(lengthSum[end] - lengthSum[start])
                    + Double(count * prefix * prefix)
                let stageOne = tokenWork * m + pairWork * (Double(prefix) * m + (m2 + m) / 2)
                    + tokenWork * forwardOverheadTokens
                shared[end][k] = prefix
                if start == 0 {
                    best[end][k] = extensionWork(from: 0, to: prefix) + stageOne
                    continue
                }
                for j in 0..<min(width, start) where best[start][j].isFinite {
                    let kept = min(prefix, shared[start][j], commonPrefix[start - 1])
                    let total = best[start][j] + extensionWork(from: kept, to: prefix) + stageOne
                    if total < best[end][k] { best[end][k] = total; previous[end][k] = j }
                }
            }
        }
        // Walk back from the cheapest last window.
        var windows: [ScoringWindow] = []
        var end = n
        var k = best[n].indices.min { best[n][$0] < best[n][$1] }!
        while true {
            let start = end - 1 - k
            windows.append(ScoringWindow(groups: start..<end, shared: shared[end][k], branches: branchSum[end] - branchSum[start]))
            if start == 0 { return windows.reversed() }
            (end, k) = (start, previous[end][k])
        }
    }

    /// The work of scoring `items` in the windows `split` (consecutive ranges covering them), item
    /// by item; nil when a window breaks a limit. `plan` returns a split of least work.
    public func work(ofSplit split: [Range<Int>], _ items: [Item], commonPrefix: [Int]) -> Double? {
        var total = 0.0, previousPrefix = 0
        for window in split {
            let members = window.map { items[$0] }
            let prefix = ([members[0].contextLength - 1] + commonPrefix[window.dropLast()]).min()!
            guard fits(count: window.count, branches: members.reduce(0) { $0 + $1.branches },
                       packed: members.reduce(0) { $0 + $1.contextLength - prefix },
                       branchTokens: members.reduce(0) { $0 + $1.branchTokens }) else { return nil }
            let kept = window.lowerBound == 0 ? 0 : min(prefix, previousPrefix, commonPrefix[window.lowerBound - 1])
            total += extensionWork(from: kept, to: prefix) + tokenWork * forwardOverheadTokens
            for item in members {
                let count = item.contextLength - prefix
                total += tokenWork * Double(count) + pairWork * Double(ForwardCost.visiblePairs(start: prefix, count: count))
            }
            previousPrefix = prefix
        }
        return total
    }

    /// Whether `count` items with these totals fit one window's cache rows and packed forwards
    /// (a lone item always does).
    private func fits(count: Int, branches: Int, packed: Int, branchTokens: Int) -> Bool {
        count == 1 || (count <= itemsPerForward && 1 + count + branches <= maxRows
                       && packed <= maxWindowTokens && branchTokens <= maxWindowTokens)
    }

    /// Work of extending row 0 from `kept` cached positions to `prefix` (nothing when it holds them).
    private func extensionWork(from kept: Int, to prefix: Int) -> Double {
        guard prefix > kept else { return 0 }
        let count = prefix - kept
        return tokenWork * (Double(count) + forwardOverheadTokens) + pairWork * Double(ForwardCost.visiblePairs(start: kept, count: count))
    }
}

/// Length of the common prefix of `a` and `b`, at most `limit`.
func commonPrefixLength(_ a: [Int], _ b: [Int], limit: Int) -> Int {
    var n = 0
    while n < min(limit, a.count, b.count), a[n] == b[n] { n += 1 }
    return n
}
