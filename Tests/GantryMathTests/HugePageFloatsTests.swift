import GantryMath
import Testing

@Suite("HugePageFloats")
struct HugePageFloatsTests {
    /// Growing one row at a time past `hugePageBytes` moves the floats from allocator memory into
    /// mapped pages and keeps every value, as an array would.
    @Test func growingPastTheHugePageSizeKeepsEveryValue() {
        var floats = HugePageFloats(), mirror = [Float]()
        let rowLength = 384, rows = HugePageFloats.hugePageBytes / (4 * rowLength) * 3 + 7
        for row in 0..<rows {
            let values = (0..<rowLength).map { Float(row * rowLength + $0) }
            floats.append(contentsOf: values)
            mirror.append(contentsOf: values)
        }
        #expect(floats.count == mirror.count)
        #expect(floats.capacity >= floats.count)
        #expect(Array(floats) == mirror)
        floats.withUnsafeBufferPointer { #expect(Array($0) == mirror) }
    }

    @Test func copiesShareUntilOneChanges() {
        let big = [Float](repeating: 1, count: HugePageFloats.hugePageBytes / 4 + 100)
        for values in [[Float](repeating: 1, count: 10), big] {
            let original = HugePageFloats(values)
            var changed = original
            changed[3] = 7
            changed.append(contentsOf: [Float](repeating: 2, count: 5))
            #expect(Array(original) == values)
            #expect(changed.count == values.count + 5 && changed[3] == 7 && changed[values.count] == 2)
            var written = original
            written.withUnsafeMutableBufferPointer { $0[0] = -1 }
            #expect(original[0] == 1 && written[0] == -1)
            var shortened = original
            shortened.removeSubrange(0..<2)
            #expect(original.count == values.count && shortened.count == values.count - 2)
        }
    }

    @Test func removingARangeMovesTheRestDown() {
        var floats = HugePageFloats((0..<20).map(Float.init))
        floats.removeSubrange(5..<8)
        #expect(Array(floats) == (0..<5).map(Float.init) + (8..<20).map(Float.init))
        floats.removeSubrange(17..<17)
        floats.removeSubrange(15..<17)
        #expect(Array(floats) == (0..<5).map(Float.init) + (8..<18).map(Float.init))
    }

    private struct Refused: Error {}

    @Test func initializingFillsTheBufferOrLeavesNothing() throws {
        let count = HugePageFloats.hugePageBytes / 4 * 2
        let filled = HugePageFloats(count: count) { buffer in
            for i in buffer.indices { buffer[i] = Float(i % 1000) }
        }
        #expect(filled.count == count && filled[count - 1] == Float((count - 1) % 1000))
        #expect(throws: Refused.self) { try HugePageFloats(count: 10) { (_) throws(Refused) in throw Refused() } }
        #expect(HugePageFloats(count: 0) { _ in }.isEmpty)
    }
}
