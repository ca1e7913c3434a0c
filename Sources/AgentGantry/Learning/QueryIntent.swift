/// The intent found in one query: its index in the `IntentClassifier`, its name, and the
/// classifier's confidence in (0, 1].
struct QueryIntent: Sendable {
    var index: Int
    var name: String
    var confidence: Double
}
