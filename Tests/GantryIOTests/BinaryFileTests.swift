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

    /// A temporary is live while a process holds its lock, whatever PID its name carries: a
    /// writer in another PID namespace (a container) has a PID that looks dead here. A second
    /// process (util-linux `flock`) holds the lock of a temporary named with a PID that no longer
    /// exists: a write to the same path keeps it, and sweeps the temporaries nobody holds, whether
    /// their PID is dead or alive (our own). Once the holder exits, its temporary is swept too.
    @Test func temporariesAreSweptUnlessAWriterHoldsTheirLock() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let finished = Process()  // a process that has exited: its PID is one no process has
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let dead = finished.processIdentifier
        let held = "a.gadp.tmp-\(dead)-1"
        let unheld = ["a.gadp.tmp-\(dead)-2", "a.gadp.tmp-\(getpid())-3", "a.gadp.tmp-0123456789abcdef"]
        let kept = ["b.gadp.tmp-\(dead)-4", "a.gadp.tmp-notes.txt"]  // another file's temporary; not a writer's name
        for name in unheld + kept { #expect(FileManager.default.createFile(atPath: "\(folder)/\(name)", contents: Data([1, 2, 3]))) }
        let holder = try LockHolder(path: "\(folder)/\(held)")
        defer { holder.release() }

        try BinaryFile.writeAtomically([9, 9], to: folder + "/a.gadp")
        let listing = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(listing.contains(held), "the temporary its writer holds was removed")
        #expect(listing == (["a.gadp", held] + kept).sorted())
        #expect(try BinaryFile.read(folder + "/a.gadp") == [9, 9])

        holder.release()  // its writer gone (the lock dies with the process): the temporary is stale
        try BinaryFile.writeAtomically([7], to: folder + "/a.gadp")
        let after = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(after == (["a.gadp"] + kept).sorted())
        #expect(try BinaryFile.read(folder + "/a.gadp") == [7])
    }

    /// Threads of one process sweep each other's temporaries unless the locks work (each open
    /// file has its own lock): concurrent writes of one path all succeed, the file ends as one of
    /// the versions written, and no temporary is left.
    @Test func concurrentWritersOfOnePathNeverRemoveEachOthersTemporaries() async throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/shared.bin"
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    for round in 0..<25 { try BinaryFile.writeAtomically([UInt8(writer), UInt8(round)], to: path) }
                }
            }
            try await group.waitForAll()
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["shared.bin"])
        let last = try BinaryFile.read(path)
        #expect(last.count == 2 && last[0] < 4 && last[1] == 24)
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

