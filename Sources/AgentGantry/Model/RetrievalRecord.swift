import Foundation

/// What the store keeps of one retrieval, so that reports naming its id can be learned from:
/// who asked, the query (its frozen embedding, kept once per distinct query in half precision;
/// its redacted text only with `GantryConfiguration.keepQueryText`, else its term hashes), and
/// the shortlist the caller was shown with ranks and scores. Queued to the store's writer when
/// the retrieval returns, not made durable first: a crash may lose the last moments of records
/// (reports naming a lost record are kept unlinked). Deleted after
/// `GantryConfiguration.retrievalRetentionDays`, and by `forget(user:)`.
public struct RetrievalRecord: Sendable, Equatable {
    /// One tool shown: its name and final score (`ToolMatch.score`, kept in half precision); its
    /// rank is its place in `shortlist` (0 first).
    public struct Shown: Sendable, Equatable {
        /// The tool's name.
        public var tool: String
        /// Its final score when shown.
        public var score: Float

        /// A tool shown with `score`.
        public init(tool: String, score: Float) {
            (self.tool, self.score) = (tool, score)
        }
    }

    /// The retrieval's id.
    public var id: RetrievalID
    /// When the retrieval ran (by the instance's `GantryClock`).
    public var at: Date
    /// The caller, team and session of its `RoutingContext`, in Unicode NFC.
    public var user: String?, team: String?, session: String?
    /// The redacted query, when the store keeps query text.
    public var query: String?
    /// The hashes of the redacted query's distinct lexical terms (`ToolTokenizer.termHashes`),
    /// when the text is not kept (as `FeedbackEvent.queryTerms`).
    public var queryTerms: [UInt64]?
    /// The query's frozen embedding (unit length before rounding to half precision).
    public var queryVector: [Float]
    /// The identity of the model that embedded `queryVector`.
    public var model: String
    /// The tools returned, best first.
    public var shortlist: [Shown]
    /// When exploration reordered the shortlist (`GantryConfiguration.explorationRate`): the
    /// rank r (0 first, at least 1) such that the tools at r and r + 1 were shown in each
    /// other's place; `shortlist` is in the order shown.
    public var swappedRank: Int?

    /// A record; `queryTerms` are kept only without `query` (the text gives them).
    public init(id: RetrievalID, at: Date, user: String?, team: String?, session: String?, query: String?, queryTerms: [UInt64]?,
                queryVector: [Float], model: String, shortlist: [Shown], swappedRank: Int? = nil) {
        (self.id, self.at, self.user, self.team, self.session) = (id, at, user, team, session)
        self.query = query
        self.queryTerms = query == nil ? queryTerms : nil
        (self.queryVector, self.model, self.shortlist, self.swappedRank) = (queryVector, model, shortlist, swappedRank)
    }

    /// The rank (0 first) at which `tool` was shown, or nil when it was not.
    public func rank(of tool: String) -> Int? {
        shortlist.firstIndex { $0.tool == tool }
    }
}
