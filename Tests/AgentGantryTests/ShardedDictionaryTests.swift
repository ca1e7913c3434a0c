@testable import AgentGantry
import Testing

@Suite("Sharded dictionary")
struct ShardedDictionaryTests {
    /// It reads and writes like a dictionary (default-valued updates included), and a copy taken
    /// before writes keeps its values: a published snapshot never sees later writes.
    @Test func behavesLikeADictionaryWithValueSemantics() {
        var sharded = ShardedDictionary<Int>()
        var plain = [String: Int]()
        for i in 0..<5_000 {
            let key = "tool_\(i % 700)"
            sharded[key, default: 0] += i
            plain[key, default: 0] += i
        }
        let snapshot = sharded
        sharded["tool_3"] = nil
        sharded["new"] = 7
        #expect((0..<700).allSatisfy { snapshot["tool_\($0)"] == plain["tool_\($0)"] })
        #expect(sharded["tool_3"] == nil && snapshot["tool_3"] == plain["tool_3"])
        #expect(sharded["new"] == 7 && snapshot["new"] == nil)
        #expect(sharded["absent", default: 42] == 42 && sharded["absent"] == nil)
        // Keys and values enumerate every entry once, pairwise in the same order.
        plain["tool_3"] = nil
        plain["new"] = 7
        #expect(Set(sharded.keys) == Set(plain.keys) && Array(sharded.keys).count == plain.count)
        #expect(zip(sharded.keys, sharded.values).allSatisfy { plain[$0] == $1 })
        var reserved = ShardedDictionary<Int>()
        reserved.reserveCapacity(10_000)
        #expect(Array(reserved.keys).isEmpty && reserved["x"] == nil)
    }
}
