import Foundation
import GantryMath
import Testing

func fixture(_ name: String) -> String {
    Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures")!.path
}

func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "gantry-tests-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite("NPY files", .serialized)
struct NPYFileTests {
    let expected3x5 = (0..<15).map { (Float($0) - 7) / 4 }

    @Test func readsWhatNumPyWrites() throws {
        for name in ["v1_3x5.npy", "v2_3x5.npy"] {
            let m = try NPYFile.read(fixture(name))
            #expect(m.shape == Shape(rows: 3, cols: 5))
            #expect(m.values == expected3x5)
        }
        let vector = try NPYFile.read(fixture("vector_7.npy"))
        #expect(vector.shape == Shape(rows: 1, cols: 7))
        #expect(vector.values.first == -1 && vector.values.last == 1)
        #expect(try NPYFile.read(fixture("empty_0x4.npy")).shape == Shape(rows: 0, cols: 4))
    }

    @Test func writesTheBytesNumPyWrites() throws {
        let numpy = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture("v1_3x5.npy"))))
        #expect(NPYFile.encode(try Matrix(rows: 3, cols: 5, values: expected3x5)) == numpy)
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
        let m = Matrix.randomNormal(rows: 37, cols: 19, using: &rng)
        let path = folder + "/m.npy"
        try NPYFile.write(m, to: path)
        try NPYFile.write(m, to: path)  // overwrite
        #expect(try NPYFile.read(path) == m)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["m.npy"])
    }

    @Test func everyTruncationIsATypedError() throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture("v1_3x5.npy"))))
        for length in 0..<bytes.count {
            #expect(throws: FileFormatError.self, "length \(length)") { try NPYFile.decode(Array(bytes[0..<length]), path: "t.npy") }
        }
        #expect(throws: FileFormatError.self) { try NPYFile.decode(bytes + [0], path: "t.npy") }
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

@Suite("Binary files", .serialized)
struct BinaryFileTests {
    @Test func writerAndReaderRoundTripAndBoundsCheck() throws {
        var writer = BinaryWriter()
        writer.append(UInt32(0xDEAD_BEEF))
        writer.append(Int64(-5))
        writer.append(Float(1.5))
        writer.append("tool ✓")
        writer.append(floats: [Float](arrayLiteral: 1, 2, 3))
        writer.append(UInt32(0))
        writer.patch(42, at: writer.bytes.count - 4)
        var reader = BinaryReader(writer.bytes, path: "mem")
        #expect(try reader.read(UInt32.self) == 0xDEAD_BEEF)
        #expect(try reader.read(Int64.self) == -5)
        #expect(try reader.readFloat() == 1.5)
        #expect(try reader.readString() == "tool ✓")
        #expect(try reader.readFloats(3) == [1, 2, 3])
        #expect(try reader.read(UInt32.self) == 42)
        #expect(reader.remaining == 0)
        #expect(throws: FileFormatError.self) { try reader.read(UInt8.self) }
        var hostile = BinaryReader([255, 255, 255, 127], path: "mem")
        #expect(throws: FileFormatError.self) { try hostile.readString() }
        var huge = BinaryReader([1, 2, 3, 4], path: "mem")
        #expect(throws: FileFormatError.self) { try huge.readFloats(Int.max / 2) }
    }

    @Test func temporariesOfKilledWritersAreSweptAndLiveOnesKept() throws {
        let folder = NSTemporaryDirectory() + "gantry-sweep-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let finished = Process()  // a process that has exited: its pid names a dead writer
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let stale = "\(folder)/a.gadp.tmp-\(finished.processIdentifier)-1"
        let live = "\(folder)/a.gadp.tmp-\(getppid())-2", other = "\(folder)/b.gadp.tmp-\(finished.processIdentifier)-3"
        for path in [stale, live, other] { FileManager.default.createFile(atPath: path, contents: Data([1, 2, 3])) }
        try BinaryFile.writeAtomically([9, 9], to: folder + "/a.gadp")
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(FileManager.default.fileExists(atPath: live))   // its writer (our parent) is alive
        #expect(FileManager.default.fileExists(atPath: other))  // another file's temporary
        #expect(try BinaryFile.read(folder + "/a.gadp") == [9, 9])
    }

    @Test func failedWritesLeaveTheOldFileAlone() throws {
        let folder = try temporaryDirectory()
        let path = folder + "/keep.bin"
        try BinaryFile.writeAtomically([1, 2, 3], to: path)
        #expect(try BinaryFile.read(path) == [1, 2, 3])
        #expect(throws: FileFormatError.self) { try BinaryFile.writeAtomically([9], to: folder + "/missing/x.bin") }
        #expect(try BinaryFile.read(path) == [1, 2, 3])
        #expect(throws: FileFormatError.self) { try BinaryFile.read(folder) }  // a folder is not a file
    }
}
