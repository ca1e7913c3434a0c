/// One number per `Signal`: the weights of a configuration, or the values behind a final score.
/// Encoded as a JSON object keyed by signal name (`{"semantic": 0.65, …}`); a missing key
/// decodes as 0.
public struct SignalValues: Sendable, Hashable, Codable, CustomStringConvertible {
    private var values: [Double]

    /// Every signal at `value`.
    public init(repeating value: Double = 0) {
        values = [Double](repeating: value, count: Signal.allCases.count)
    }

    /// The given values, 0 for the signals not named.
    public init(_ values: [Signal: Double]) {
        self.init()
        for (signal, value) in values { self[signal] = value }
    }

    public subscript(signal: Signal) -> Double {
        get { values[signal.position] }
        set { values[signal.position] = newValue }
    }

    /// Σ self[s] · other[s].
    public func weightedSum(_ other: SignalValues) -> Double {
        zip(values, other.values).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// The sum over all signals.
    public var total: Double { values.reduce(0, +) }

    /// Scaled to sum 1 (unchanged when the sum is 0).
    public var normalized: SignalValues {
        let total = total
        guard total > 0 else { return self }
        var result = self
        result.values = values.map { $0 / total }
        return result
    }

    /// Every value, in `Signal.allCases` order.
    public var all: [Double] { values }

    public var description: String {
        Signal.allCases.map { "\($0.rawValue) \(self[$0])" }.joined(separator: ", ")
    }

    public init(from decoder: any Decoder) throws {
        let object = try decoder.singleValueContainer().decode([Signal: Double].self)
        self.init(object)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Dictionary(uniqueKeysWithValues: Signal.allCases.map { ($0, self[$0]) }))
    }
}

/// The signals behind a final score, each before weighting (the weights are the configuration's).
public typealias ScoreBreakdown = SignalValues
