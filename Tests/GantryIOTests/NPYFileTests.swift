import Foundation
import GantryIO
import GantryMath
import Testing

@Suite("NPY files", .serialized)
struct NPYFileTests {
    let expected3x5 = (0..<15).map { (Float($0) - 7) / 4 }

    @Test func readsWhatNumPyWrites() throws {
        for name in ["v1_3x5.npy", "v2_3x5.npy"] {
            let array = try NPYFile.read(fixture(name))
            #expect(array.rows == 3 && array.cols == 5)
            #expect(array.values == expected3x5)
        }
        let vector = try NPYFile.read(fixture("vector_7.npy"))
        #expect(vector.rows == 1 && vector.cols == 7)
        #expect(vector.values.first == -1 && vector.values.last == 1)
        let empty = try NPYFile.read(fixture("empty_0x4.npy"))
        #expect(empty.rows == 0 && empty.cols == 4)
    }

    @Test func writesTheBytesNumPyWrites() throws {
        let numpy = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture("v1_3x5.npy"))))
        #expect(NPYFile.encode(NPYArray(rows: 3, cols: 5, values: expected3x5)!) == numpy)
    }

    @Test func refusesOtherDtypesAndOrdersWithAdvice() throws {
        let float64 = #expect(throws: FileFormatError.self) { try NPYFile.read(fixture("float64_2x2.npy")) }
        #expect(float64.map { "\($0)" }?.contains("astype('<f4')") == true)
        let fortran = #expect(throws: FileFormatError.self) { try NPYFile.read(fixture("fortran_3x5.npy")) }
        #expect(fortran.map { "\($0)" }?.contains("Fortran") == true)
        #expect(throws: FileFormatError.self) { try NPYFile.read("/nonexistent/file.npy") }
    }

    @Test func roundTripsThroughAnAtomicWrite() throws {
        let folder = try temporaryDirectory()
        var rng = SplitMix64(seed: 3)
        let array = NPYArray(rows: 37, cols: 19, values: (0..<37 * 19).map { _ in rng.nextGaussian() })!
        let path = folder + "/m.npy"
        try NPYFile.write(array, to: path)
        try NPYFile.write(array, to: path)  // overwrite
        #expect(try NPYFile.read(path) == array)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["m.npy"])
    }

    @Test func everyTruncationIsATypedError() throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture("v1_3x5.npy"))))
        for length in 0..<bytes.count {
            #expect(throws: FileFormatError.self, "length \(length)") { try NPYFile.decode(Array(bytes[0..<length]), path: "t.npy") }
        }
        #expect(throws: FileFormatError.self) { try NPYFile.decode(bytes + [0], path: "t.npy") }
        // The same from files, which are read straight into the array.
        let path = try temporaryDirectory() + "/t.npy"
        for length in 0..<bytes.count {
            try put(Array(bytes[0..<length]), at: path)
            #expect(throws: FileFormatError.self, "file length \(length)") { try NPYFile.read(path) }
        }
    }

    @Test func randomByteFlipsNeverCrash() throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture("v1_3x5.npy"))))
        var rng = SplitMix64(seed: 9)
        var errors = 0
        for _ in 0..<3000 {
            var damaged = bytes
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                damaged[Int.random(in: 0..<damaged.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            do {
                let m = try NPYFile.decode(damaged, path: "flipped.npy")
                #expect(m.values.count * 4 + 128 == damaged.count)  // a load must still be self-consistent
            } catch {
                errors += 1
            }
        }
        #expect(errors > 0)
    }
}
