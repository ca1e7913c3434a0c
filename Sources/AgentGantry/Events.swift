import Foundation

/// Who is asking, for preferences, co-usage and filters.
public struct RoutingContext: Sendable, Hashable, Codable {
    public var user: String?
    public var team: String?
    public var session: String?
    /// Only tools of this namespace (nil: any).
    public var namespace: String?
    /// Only tools carrying at least one of these tags (empty: any).
    public var tags: Set<String>
    /// The caller's latency budget: tools whose observed p95 exceeds it score lower.
    public var latencyBudget: Duration?

    public init(user: String? = nil, team: String? = nil, session: String? = nil, namespace: String? = nil, tags: Set<String> = [],
                latencyBudget: Duration? = nil) {
        self.user = user
        self.team = team
        self.session = session
        self.namespace = namespace
        self.tags = tags
        self.latencyBudget = latencyBudget
    }
}

/// What a feedback event says.
public enum FeedbackType: String, Sendable, Codable, CaseIterable {
    /// The selected tool was wrong; `correctTool` was right.
    case toolSelectionError = "tool_selection_error"
    /// The selected tool was right (a confirmation; `correctTool` is that tool).
    case confirmed
}

/// How a tool call ended.
public enum ExecutionOutcome: String, Sendable, Codable, CaseIterable {
    case success, failure, timeout
}

/// A stored feedback event.
public struct FeedbackEvent: Sendable, Equatable {
    public var id: Int64
    public var at: Date
    public var user: String?, team: String?, session: String?
    /// The query as stored (redacted; nil when the store keeps embeddings only).
    public var query: String?
    /// The query's frozen embedding.
    public var queryVector: [Float]
    public var selectedTool: String?
    public var correctTool: String
    public var type: FeedbackType
}

/// A stored execution outcome.
public struct ExecutionEvent: Sendable, Equatable {
    public var id: Int64
    public var at: Date
    public var user: String?, team: String?, session: String?
    public var tool: String
    public var outcome: ExecutionOutcome
    public var latencyMilliseconds: Double?
    /// The intent of the session's last routed request, when known.
    public var intent: String?
}

/// Removes what must not be stored from query text: e-mail addresses, phone numbers, runs of 6+
/// digits and API-key-like tokens become placeholders.
public enum Redaction {
    private static let patterns: [(NSRegularExpression, String)] = [
        (#"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"#, "[email]"),
        (#"\b(?:sk|pk|rk|ghp|gho|ghs|xox[abprs]|AKIA|AIza)[-_A-Za-z0-9]{8,}"#, "[key]"),
        (#"\b(?=[A-Za-z0-9_\-]*[0-9])(?=[A-Za-z0-9_\-]*[A-Za-z])[A-Za-z0-9_\-]{24,}\b"#, "[key]"),
        (#"\+?\(?\d{1,4}\)?[\s.-]?\(?\d{2,4}\)?[\s.-]\d{3,4}[\s.-]\d{3,4}\b"#, "[phone]"),
        (#"\d{6,}"#, "[number]"),
    ].map { (try! NSRegularExpression(pattern: $0.0), $0.1) }

    public static func redact(_ text: String) -> String {
        var result = text
        for (pattern, replacement) in patterns {
            result = pattern.stringByReplacingMatches(in: result, range: NSRange(result.startIndex..., in: result), withTemplate: replacement)
        }
        return result
    }
}
