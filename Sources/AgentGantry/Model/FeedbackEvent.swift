import Foundation

/// A stored feedback event.
public struct FeedbackEvent: Sendable, Equatable {
    public var id: Int64
    public var at: Date
    public var user: String?, team: String?, session: String?
    /// The query as stored (redacted; nil when the store keeps embeddings only).
    public var query: String?
    /// The query's frozen embedding.
    public var queryVector: [Float]
    /// The identity of the model that embedded `queryVector` (`Embedder.modelIdentity`); nil when
    /// unknown (stored before 0.2.0 by a store whose tools had several models). Only vectors of the
    /// serving model's identity are used by the feedback memory and training.
    public var model: String?
    public var selectedTool: String?
    public var correctTool: String
    public var type: FeedbackType

    /// An event as `EventLog.decode` or a store produces it (id 0 until stored).
    public init(id: Int64, at: Date, user: String?, team: String?, session: String?, query: String?, queryVector: [Float],
                selectedTool: String?, correctTool: String, type: FeedbackType, model: String? = nil) {
        self.id = id
        self.at = at
        (self.user, self.team, self.session) = (user, team, session)
        self.query = query
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
