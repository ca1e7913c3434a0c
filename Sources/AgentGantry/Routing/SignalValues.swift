/// One number per `Signal`: the weights of a configuration, or the values behind a final score.
/// Encoded as a JSON object keyed by signal name (`{"retrieval": 0.65, …}`); a missing key
/// decodes as 0.
///
/// Stored inline, one SIMD lane per signal in `Signal.allCases` order (no allocation: a ranking
/// makes one per candidate); the lanes past the last signal stay 0. A seventeenth signal widens
/// the storage to `SIMD32`.
public struct SignalValues: Sendable, Hashable, Codable, CustomStringConvertible {
    private var values: SIMD16<Double>

    /// Every signal at `value`. (There is no `init()`: for weights, start from
    /// `defaultWeights`; for values, say the value.)
    public init(repeating value: Double) {
        precondition(Signal.allCases.count <= SIMD16<Double>.scalarCount, "SignalValues holds 16 signals; widen its storage")
        values = SIMD16(repeating: 0)
        for signal in Signal.allCases { values[signal.position] = value }
    }

    /// The given values, 0 for the signals not named.
    public init(_ values: [Signal: Double]) {
        self.init(repeating: 0)
        for (signal, value) in values { self[signal] = value }
    }

    /// The value of `signal`.
    public subscript(signal: Signal) -> Double {
        get { values[signal.position] }
        set { values[signal.position] = newValue }
    }

    /// Σ self[s] · other[s].
    public func weightedSum(_ other: SignalValues) -> Double {
        (values * other.values).sum()
    }

    /// The sum over all signals.
    public var total: Double { values.sum() }

    /// Scaled to sum 1 (unchanged when the sum is 0).
    public var normalized: SignalValues {
        let total = total
        guard total > 0 else { return self }
        var result = self
        result.values = values / total
        return result
    }

    /// Every value, in `Signal.allCases` order.
    public var all: [Double] { Signal.allCases.map { self[$0] } }

    /// Every signal's name and value in `Signal.allCases` order: `retrieval 0.65, semantic 0.0, …`.
    public var description: String {
        Signal.allCases.map { "\($0.name) \(self[$0])" }.joined(separator: ", ")
    }

    /// Decodes a JSON object keyed by signal name; a missing signal is 0, an unknown name is an
    /// error.
    public init(from decoder: any Decoder) throws {
        let object = try decoder.singleValueContainer().decode([Signal: Double].self)
        self.init(object)
    }

    /// Encodes a JSON object with every signal's name and value.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Dictionary(uniqueKeysWithValues: Signal.allCases.map { ($0, self[$0]) }))
    }
}

/// The signals behind a final score, each before weighting (the weights are the configuration's).
public typealias ScoreBreakdown = SignalValues
