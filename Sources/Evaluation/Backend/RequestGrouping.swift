/// Helps backends share work: requests with the same context (the choices of one question) are
/// consecutive runs in the evaluator's batches; this finds them, after `EncodePair.split`, so a
/// backend can run the context once and, when every continuation is one token, score all choices
/// from a single set of next-token logits.
public enum RequestGrouping {
    public struct Group: Equatable, Sendable {
        /// The context after `EncodePair.split` (trailing whitespace removed).
        public var context: String
        /// The continuations after `EncodePair.split`, in request order.
        public var continuations: [String]
        /// Positions of these requests in the input array.
        public var indices: [Int]
    }

    /// Groups consecutive requests whose split contexts are equal, keeping request order.
    public static func consecutiveByContext(_ requests: [LoglikelihoodRequest]) -> [Group] {
        var groups: [Group] = []
        for (i, r) in requests.enumerated() {
            let (context, continuation) = EncodePair.split(context: r.context, continuation: r.continuation)
            if let last = groups.last, last.context == context {
                groups[groups.count - 1].continuations.append(continuation)
                groups[groups.count - 1].indices.append(i)
            } else {
                groups.append(Group(context: context, continuations: [continuation], indices: [i]))
            }
        }
        return groups
    }
}
