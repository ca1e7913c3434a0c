/// A routing signal: one term of a tool's final score, `score = Σ weight[s] · value[s]` over the
/// signals (weights normalized to sum 1). Each case has one provider (`Routing/Signals/`) that
/// computes its values for the candidates of a retrieval; weights, breakdowns, validation and
/// the CLI follow from `allCases`.
///
/// Adding a signal: a case here, its provider file, and the provider's arm in `provider`.
/// `SignalValues` holds sixteen signals inline (one SIMD lane each); a seventeenth widens its
/// storage.
public enum Signal: Int, CaseIterable, Sendable {
    /// The first stage's score: the adapted cosine fused with the BM25F score of the query's
    /// words (`GantryConfiguration.lexicalWeight`), mapped back onto the cosine's scale and
    /// clamped to its range [−1, 1] — at lexical weight 0, the cosine. How: see `Ranker`.
    case retrieval
    /// Cosine similarity of the adapted query and tool vectors (a part of `retrieval`; weight 0
    /// by default).
    case semantic
    /// The tool's BM25F score for the query's words (a part of `retrieval`, unbounded; never
    /// weighted).
    case lexical
    /// Feedback memory: corrections on similar past queries, in [−1, 1], fading with the distance
    /// from the corrected query. (A correction of exactly this query also puts its tool first:
    /// see `Ranker`.)
    case feedback
    /// Success rate over the recent window, with a prior (0.9 with no history).
    case health
    /// Share of this user's or team's past choices among the relevant candidates that went to the
    /// tool (smoothed), in [0, 1).
    case preference
    /// The query's intent confidence when the tool belongs to that intent, else 0.
    case intent
    /// Half latency fit to the caller's budget (p95; 0.5 unknown), half 1 − failure rate for the
    /// query's intent (smoothed).
    case performance
    /// How strongly the tool follows the session's last executed tool (PMI), in [0, 1).
    case coUsage

    /// The provider that computes this signal.
    var provider: any SignalProvider {
        switch self {
        case .retrieval: RetrievalSignal()
        case .semantic: SemanticSignal()
        case .lexical: LexicalSignal()
        case .feedback: FeedbackSignal()
        case .health: HealthSignal()
        case .preference: PreferenceSignal()
        case .intent: IntentSignal()
        case .performance: PerformanceSignal()
        case .coUsage: CoUsageSignal()
        }
    }

    /// The signal's name, its case name (`coUsage`): the key in JSON and on the command line.
    public var name: String { Self.names[rawValue] }

    /// The cases' names, worked out once (`String(describing:)` reflects on every call).
    private static let names = allCases.map { String(describing: $0) }

    /// The signal called `name`, if there is one.
    public init?(name: String) {
        guard let signal = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = signal
    }

    /// Position in `allCases` (the lane of `SignalValues`): the cases are numbered in order.
    /// Only names are ever stored or printed; the numbers may change when a signal is added.
    var position: Int { rawValue }
}

extension Signal: Codable, CodingKeyRepresentable {
    /// Decodes a signal from its name (`"coUsage"`); throws `DecodingError.dataCorrupted` for a
    /// name no signal has.
    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let signal = Signal(name: name) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "no signal is called \(name)"))
        }
        self = signal
    }

    /// Encodes the signal as its name (`"coUsage"`), never its number.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }

    /// The signal's name as a dictionary key, so that `[Signal: Double]` encodes as a JSON object
    /// keyed by name.
    public var codingKey: any CodingKey { SignalKey(stringValue: name) }

    /// The signal whose name is the key's string, or nil (a JSON object key no signal has).
    public init?<T: CodingKey>(codingKey: T) {
        self.init(name: codingKey.stringValue)
    }

    private struct SignalKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
