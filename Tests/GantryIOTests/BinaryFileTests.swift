import Foundation
import GantryIO
import GantryMath
import Testing

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

    /// A reader over a file hands out what a reader over the same bytes in memory does, with the
    /// same checksums, whichever way the reads cross its 64 KiB window.
    @Test func fileReaderAgreesWithTheMemoryReader() throws {
        var rng = SplitMix64(seed: 21)
        var writer = BinaryWriter()
        var plan = [Int]()  // 0: u32, 1: string, 2: floats of a random length, 3: skip
        for _ in 0..<400 {
            let step = Int.random(in: 0...3, using: &rng)
            plan.append(step)
            switch step {
            case 0: writer.append(UInt32.random(in: 0...UInt32.max, using: &rng))
            case 1: writer.append(String(repeating: "é", count: Int.random(in: 0...300, using: &rng)))
            case 2:
                let count = [1, 7, 1000, 20_000, 40_000][Int.random(in: 0...4, using: &rng)]
                writer.append(UInt32(count))
                writer.append(floats: (0..<count).map { _ in rng.nextGaussian() })
            default: writer.append(UInt64(0))
            }
        }
        let path = try temporaryDirectory() + "/mixed.bin"
        try put(writer.bytes, at: path)
        var memory = BinaryReader(writer.bytes, path: "mem")
        var file = try BinaryReader(contentsOf: path)
        #expect(file.totalBytes == writer.bytes.count)
        memory.startChecksum()
        file.startChecksum()
        for (i, step) in plan.enumerated() {
            switch step {
            case 0: #expect(try memory.read(UInt32.self) == file.read(UInt32.self))
            case 1: #expect(try memory.readString() == file.readString())
            case 2:
                let count = Int(try memory.read(UInt32.self))
                #expect(try file.read(UInt32.self) == UInt32(count))
                #expect(try memory.readFloats(count) == file.readFloats(count))
            default:
                try memory.skip(8)
                try file.skip(8)
            }
            if i % 50 == 0 { #expect(memory.checksum() == file.checksum(), "step \(i)") }
        }
        #expect(file.remaining == 0 && memory.remaining == 0)
        let whole = writer.bytes.withUnsafeBytes { BinaryFile.checksum($0) }
        #expect(file.checksum() == whole && memory.checksum() == whole)
    }

    /// A file cut short after the reader opened it (another process truncating it) is a typed
    /// `.truncated` error at the read that runs out, never a crash.
    @Test func fileTruncatedWhileReadingIsATypedError() throws {
        let values = (0..<300_000).map { Float($0) }
        var writer = BinaryWriter()
        writer.append(floats: values)
        let path = try temporaryDirectory() + "/cut.bin"
        for cut in [0, 100, 65_536, 700_000] {
            try put(writer.bytes, at: path)
            var reader = try BinaryReader(contentsOf: path)
            #expect(try reader.readFloat() == 0)
            #expect(truncate(path, off_t(cut)) == 0)
            #expect(throws: FileFormatError.self, "cut at \(cut)") { try reader.readFloats(values.count - 1) }
            var small = try BinaryReader(contentsOf: path)  // opened after the cut: its size is the new one
            #expect(small.totalBytes == cut)
            #expect(throws: FileFormatError.self) { try small.skip(cut + 1) }
        }
    }
}

