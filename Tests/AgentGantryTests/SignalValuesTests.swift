import AgentGantry
import Foundation
import Testing

@Suite("Signals")
struct SignalValuesTests {
    @Test func valuesAreKeyedByNameInJSONAndRoundTrip() throws {
        var weights = GantryConfiguration.Weights.defaultWeights
        weights[.coUsage] = 0.25
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(weights), as: UTF8.self)
        #expect(json.contains("\"coUsage\":0.25") && json.contains("\"retrieval\":0.65") && json.contains("\"lexical\":0"))
        #expect(try JSONDecoder().decode(SignalValues.self, from: Data(json.utf8)) == weights)
        let partial = try JSONDecoder().decode(SignalValues.self, from: Data(#"{"feedback": 1}"#.utf8))
        #expect(partial[.feedback] == 1 && partial.total == 1)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(SignalValues.self, from: Data(#"{"nonsense": 1}"#.utf8)) }
    }

    @Test func namesAndArithmeticCoverEverySignal() {
        for signal in Signal.allCases { #expect(Signal(name: signal.name) == signal) }
        #expect(Signal(name: "Semantic") == nil)
        var values = SignalValues(repeating: 2)
        #expect(values.total == 2 * Double(Signal.allCases.count))
        #expect(abs(values.normalized.total - 1) < 1e-12)
        values[.health] = 5
        #expect(values.weightedSum(SignalValues([.health: 0.5, .semantic: 1])) == 2.5 + 2)
        #expect(SignalValues(repeating: 0).normalized == SignalValues(repeating: 0))
    }
}
