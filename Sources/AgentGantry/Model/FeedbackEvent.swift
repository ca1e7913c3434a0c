import Foundation

/// A stored feedback event.
public struct FeedbackEvent: Sendable, Equatable {
    /// The event's id in the store (increasing in log order); 0 until stored. Adapter versions record
    /// the highest id their training read.
    public var id: Int64
    /// When the feedback was recorded (by the instance's `GantryClock`); its weight in the
    /// feedback memory halves every `feedbackHalfLife` of age, and `retentionDays` deletes by it.
    public var at: Date
    /// The user who gave the feedback (`RoutingContext.user`), in Unicode NFC: `forget(user:)`
    /// deletes by it, and the correct tool counts as the user's choice for preferences.
    public var user: String?
    /// The user's team, in Unicode NFC: the feedback memory counts a correction fully for its own
    /// team and at `otherTeamWeight` (half by default) for other teams.
    public var team: String?
    /// The session the request belonged to, in Unicode NFC (stored and exported; not used by
    /// routing).
    public var session: String?
    /// The query as stored (redacted; nil when the store keeps embeddings only).
    public var query: String?
    /// The hashes of the distinct lexical terms of the redacted query
    /// (`ToolTokenizer.termHashes`), kept instead of its text when the text is not kept
    /// (`GantryConfiguration.keepQueryText` false), so that training can still weigh lexical
    /// against dense evidence; nil when the text is kept (it gives them) and for feedback stored
    /// before they were kept. Word order and repeats are gone, but a dictionary of likely words
    /// reverses the hashes: they are deleted with the event (retention, `forget(user:)`).
    public var queryTerms: [UInt64]?
    /// The query's frozen embedding.
    public var queryVector: [Float]
    /// The identity of the model that embedded `queryVector` (`Embedder.modelIdentity`); nil when
    /// unknown (stored before 0.2.0 by a store whose tools had several models). Only vectors of the
    /// serving model's identity are used by the feedback memory and training.
    public var model: String?
    /// The tool the agent picked, if it picked one; with `.toolSelectionError` it is the wrong tool,
    /// which becomes an explicit negative in training.
    public var selectedTool: String?
    /// The tool that was right for the query.
    public var correctTool: String
    /// Whether the pick was wrong or confirmed.
    public var type: FeedbackType

    /// An event as `EventLog.decode` or a store produces it (id 0 until stored). `queryTerms` are
    /// kept only without `query` (the text gives them).
    public init(id: Int64, at: Date, user: String?, team: String?, session: String?, query: String?, queryVector: [Float],
                selectedTool: String?, correctTool: String, type: FeedbackType, model: String? = nil, queryTerms: [UInt64]? = nil) {
        self.id = id
        self.at = at
        (self.user, self.team, self.session) = (user, team, session)
        self.query = query
        self.queryTerms = query == nil ? queryTerms : nil
        self.queryVector = queryVector
        self.model = model
        self.selectedTool = selectedTool
        self.correctTool = correctTool
        self.type = type
    }

    /// The tool this event says was wrong: the selected one, when the event reports a selection
    /// error and the selection differs from the correct tool.
    public var wrongTool: String? {
        type == .toolSelectionError && selectedTool != correctTool ? selectedTool : nil
    }
}
