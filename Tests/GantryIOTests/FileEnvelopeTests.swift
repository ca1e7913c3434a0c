import Foundation
import GantryIO
import GantryMath
import Testing

@Suite("File envelope")
struct FileEnvelopeTests {
    static let format = FileEnvelope(magic: "GNTRYTST", name: "test", versions: 1...2)

    /// A header of two fields and a payload of a count and that many floats.
    struct Header: Equatable {
        var label: String
        var count: Int
    }

    static func encode(_ values: [Float], label: String = "tools") -> [UInt8] {
        var payload = BinaryWriter()
        payload.append(UInt32(values.count))
        payload.append(floats: values)
        return format.encode(header: { writer in
            writer.append(label)
            writer.append(UInt32(values.count))
        }, payload: payload.bytes)
    }

    static func readHeader(_ reader: inout BinaryReader, _ version: UInt16) throws(FileFormatError) -> Header {
        Header(label: try reader.readString(), count: Int(try reader.read(UInt32.self)))
    }

    static func readValues(_ reader: inout BinaryReader) throws(FileFormatError) -> [Float] {
        try reader.readFloats(Int(try reader.read(UInt32.self)))
    }

    static func decode(_ bytes: [UInt8]) throws(FileFormatError) -> (Header, [Float]) {
        let file = try format.open(bytes, source: "test.bin", header: readHeader)
        return (file.header, try file.readPayload(readValues))
    }

    static func load(_ path: String) throws(FileFormatError) -> (Header, [Float]) {
        let file = try format.open(path, header: readHeader)
        return (file.header, try file.readPayload(readValues))
    }

    /// The layout, built here by hand: magic, version, header fields, payload length, payload
    /// CRC, header CRC (of every byte before it), payload.
    @Test func bytesFollowTheDocumentedLayout() throws {
        let values: [Float] = [1, -2, 0.5]
        var payload = BinaryWriter()
        payload.append(UInt32(3))
        payload.append(floats: values)
        var expected = Array("GNTRYTST".utf8)
        expected += [2, 0]  // the highest version it reads
        expected += [5, 0, 0, 0] + Array("tools".utf8) + [3, 0, 0, 0]
        withUnsafeBytes(of: UInt64(payload.bytes.count).littleEndian) { expected += $0 }
        withUnsafeBytes(of: payload.bytes.withUnsafeBytes { BinaryFile.checksum($0) }.littleEndian) { expected += $0 }
        let headerCRC = expected.withUnsafeBytes { BinaryFile.checksum($0) }
        withUnsafeBytes(of: headerCRC.littleEndian) { expected += $0 }
        expected += payload.bytes
        #expect(Self.encode(values) == expected)
    }

    @Test func roundTripsFromMemoryAndFromAFile() throws {
        var rng = SplitMix64(seed: 5)
        let values = (0..<100_000).map { _ in rng.nextGaussian() }  // larger than the reader's window
        let bytes = Self.encode(values)
        let (header, decoded) = try Self.decode(bytes)
        #expect(header == Header(label: "tools", count: values.count) && decoded == values)
        let path = try temporaryDirectory() + "/values.tst"
        try Self.format.write(header: { writer in
            writer.append("tools")
            writer.append(UInt32(values.count))
        }, payload: Array(bytes[(bytes.count - values.count * 4 - 4)...]), to: path)
        #expect(try contents(of: path) == bytes)
        let (loadedHeader, loaded) = try Self.load(path)
        #expect(loadedHeader == header && loaded == values)
        let opened = try Self.format.open(path, header: Self.readHeader)
        #expect(opened.version == 2 && opened.payloadBytes == values.count * 4 + 4)
    }

    @Test func everyTruncationAndExtensionIsATypedError() throws {
        let bytes = Self.encode([1, 2, 3, 4, 5])
        let path = try temporaryDirectory() + "/cut.tst"
        for length in 0..<bytes.count {
            let cut = Array(bytes[0..<length])
            #expect(throws: FileFormatError.self, "length \(length)") { try Self.decode(cut) }
            try put(cut, at: path)
            #expect(throws: FileFormatError.self, "file length \(length)") { try Self.load(path) }
        }
        let longer = bytes + [0]
        #expect(throws: FileFormatError.malformed(path: "test.bin", reason: "1 bytes after the payload")) { try Self.decode(longer) }
        let tooShort = Array(bytes.dropLast())
        let expectedBytes = bytes.count
        #expect(throws: FileFormatError.truncated(path: "test.bin", expectedBytes: expectedBytes, foundBytes: expectedBytes - 1)) {
            try Self.decode(tooShort)
        }
    }

    /// Any byte changed anywhere: a typed error (a checksum mismatch once past the fields read
    /// before the header checksum), never a crash or a wrong value.
    @Test func everyFlippedByteIsATypedError() throws {
        let bytes = Self.encode([1, 2, 3, 4, 5])
        let path = try temporaryDirectory() + "/flipped.tst"
        for position in bytes.indices {
            for flip: UInt8 in [0x01, 0x80, 0xFF] {
                var damaged = bytes
                damaged[position] ^= flip
                let error = #expect(throws: FileFormatError.self, "byte \(position) ^ \(flip)") { try Self.decode(damaged) }
                switch error {
                // Magic and version; then the label's length, which the header reader bounds
                // before the header checksum can be checked.
                case .malformed?, .unsupported?: #expect(position < 14, "byte \(position): \(error!)")
                case .checksumMismatch?, .truncated?: break  // .truncated: a damaged length field
                default: Issue.record("byte \(position): \(String(describing: error))")
                }
                try put(damaged, at: path)
                #expect(throws: FileFormatError.self) { try Self.load(path) }
            }
        }
    }

    /// A payload the codec cannot decode because its bytes were damaged is reported as the
    /// damage (checksum), not as whatever the codec tripped on; a codec that leaves bytes
    /// unread fails.
    @Test func payloadErrorsAreReportedAsDamageWhenTheChecksumFails() throws {
        var bytes = Self.encode([1, 2, 3])
        let countOffset = bytes.count - 3 * 4 - 4
        bytes[countOffset + 3] = 0x7F  // the payload's float count, now far beyond the payload
        let error = #expect(throws: FileFormatError.self) { try Self.decode(bytes) }
        guard case .checksumMismatch? = error else { Issue.record("\(String(describing: error))"); return }
        let valid = try Self.format.open(Self.encode([1, 2, 3]), source: "t", header: Self.readHeader)
        #expect(throws: FileFormatError.malformed(path: "t", reason: "12 unexpected bytes at the end")) {
            try valid.readPayload { reader throws(FileFormatError) in try reader.read(UInt32.self) }
        }
        #expect(throws: FileFormatError.malformed(path: "t", reason: "refused")) {
            try valid.readPayload { _ throws(FileFormatError) -> Int in throw .malformed(path: "t", reason: "refused") }
        }
    }

    @Test func otherFormatsAndVersionsAreRefused() throws {
        let other = FileEnvelope(magic: "GNTRYXXX", name: "other", versions: 1...1)
        let bytes = other.encode(header: { $0.append("x"); $0.append(UInt32(0)) }, payload: [0, 0, 0, 0])
        #expect(throws: FileFormatError.malformed(path: "test.bin", reason: "not an AgentGantry test file (no GNTRYTST magic)")) {
            try Self.decode(bytes)
        }
        var future = Self.encode([1])
        future[8] = 3
        #expect(throws: FileFormatError.unsupported(path: "test.bin", reason: "test format version 3; this build reads 1 to 2")) {
            try Self.decode(future)
        }
        let old = FileEnvelope(magic: "GNTRYTST", name: "test", versions: 1...1)
        let version1 = old.encode(header: { $0.append("v1"); $0.append(UInt32(1)) }, payload: {
            var writer = BinaryWriter()
            writer.append(UInt32(1))
            writer.append(floats: [Float(7)])
            return writer.bytes
        }())
        let (header, values) = try Self.decode(version1)
        #expect(header.label == "v1" && values == [7])
    }

    /// A file cut short by another process after it was opened: the load that runs out of bytes
    /// throws `.truncated` (a positioned read, not a memory mapping: no SIGBUS).
    @Test func aFileTruncatedWhileItLoadsIsATypedError() throws {
        let values = [Float](repeating: 1, count: 200_000)
        let bytes = Self.encode(values)
        let path = try temporaryDirectory() + "/shrinking.tst"
        try put(bytes, at: path)
        let file = try Self.format.open(path, header: Self.readHeader)
        #expect(truncate(path, off_t(bytes.count / 2)) == 0)
        let error = #expect(throws: FileFormatError.self) { try file.readPayload(Self.readValues) }
        guard case .truncated(_, let expected, let found)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(expected == bytes.count && found == bytes.count / 2)
    }
}
