/// The one checksummed envelope of AgentGantry's binary files; each format (index, adapter) is
/// a header and a payload codec over it. Little-endian throughout:
///
///     magic         8 bytes  names the format ("GNTRYIDX", "GNTRYADP")
///     version       u16      the format's version
///     header        the format's own fields (kinds, counts, names)
///     payloadBytes  u64
///     payloadCRC    u32      CRC-32C of the payload
///     headerCRC     u32      CRC-32C of every byte before it
///     payload       payloadBytes bytes, to the end of the file
///
/// `open` checks the magic, the version, the header checksum and that the payload fills the rest
/// of the source exactly; `Opened.readPayload` checks that the codec read every payload byte and
/// that they match the payload checksum. A truncated, extended or damaged file is a typed
/// `FileFormatError`, and a decoded value is returned only when its bytes verified.
public struct FileEnvelope: Sendable {
    /// The 8 bytes a file of this format starts with.
    public let magic: [UInt8]
    /// What the format holds, for messages ("index" → "not an AgentGantry index file").
    public let name: String
    /// The versions this build reads; it writes the highest.
    public let versions: ClosedRange<UInt16>

    /// A format starting with `magic` (8 ASCII characters).
    public init(magic: String, name: String, versions: ClosedRange<UInt16>) {
        precondition(magic.utf8.count == 8, "a file magic is 8 bytes, got '\(magic)'")
        self.magic = Array(magic.utf8)
        self.name = name
        self.versions = versions
    }

    /// The version files are written with.
    public var currentVersion: UInt16 { versions.upperBound }

    /// The bytes of a file: the envelope around the header fields `writeHeader` appends and `payload`.
    public func encode(header writeHeader: (inout BinaryWriter) -> Void, payload: [UInt8]) -> [UInt8] {
        head(writeHeader, payload: payload) + payload
    }

    /// Writes a file to `path` atomically (`BinaryFile.writeAtomically`), without joining header
    /// and payload in memory.
    public func write(header writeHeader: (inout BinaryWriter) -> Void, payload: [UInt8], to path: String) throws(FileFormatError) {
        try BinaryFile.writeAtomically(contentsOf: [head(writeHeader, payload: payload), payload], to: path)
    }

    /// Opens the file at `path` and verifies its header: `readHeader` reads the format's fields
    /// (given the file's version) and only reads them; checks of their values belong after
    /// `open`, once the checksum vouches for them (`Opened.mapHeader`). The payload is read later,
    /// from the open file, by `Opened.readPayload`.
    public func open<Header>(_ path: String, header readHeader: (inout BinaryReader, UInt16) throws(FileFormatError) -> Header)
        throws(FileFormatError) -> Opened<Header>
    {
        try open(BinaryReader(contentsOf: path), header: readHeader)
    }

    /// `open` for the bytes of a file held in memory (e.g. a blob in a database); `source` names
    /// them in errors.
    public func open<Header>(_ bytes: [UInt8], source: String, header readHeader: (inout BinaryReader, UInt16) throws(FileFormatError) -> Header)
        throws(FileFormatError) -> Opened<Header>
    {
        try open(BinaryReader(bytes, path: source), header: readHeader)
    }

    private func open<Header>(_ source: BinaryReader, header readHeader: (inout BinaryReader, UInt16) throws(FileFormatError) -> Header)
        throws(FileFormatError) -> Opened<Header>
    {
        var reader = source
        let path = reader.path
        reader.startChecksum()
        guard reader.totalBytes >= magic.count, try reader.readBytes(magic.count) == magic else {
            throw .malformed(path: path, reason: "not an AgentGantry \(name) file (no \(String(decoding: magic, as: UTF8.self)) magic)")
        }
        let version = try reader.read(UInt16.self)
        guard versions.contains(version) else {
            let readable = versions.count == 1 ? "\(versions.lowerBound)" : "\(versions.lowerBound) to \(versions.upperBound)"
            throw .unsupported(path: path, reason: "\(name) format version \(version); this build reads \(readable)")
        }
        let header = try readHeader(&reader, version)
        let payloadBytes = try reader.read(UInt64.self)
        let payloadCRC = try reader.read(UInt32.self)
        let computed = reader.checksum()
        let headerCRC = try reader.read(UInt32.self)
        guard headerCRC == computed else { throw .checksumMismatch(path: path, expected: headerCRC, found: computed) }
        guard payloadBytes == UInt64(reader.remaining) else {
            if payloadBytes > UInt64(reader.remaining) {
                let expected = reader.offset + Int(min(payloadBytes, UInt64(Int.max - reader.offset)))
                throw .truncated(path: path, expectedBytes: expected, foundBytes: reader.totalBytes)
            }
            throw .malformed(path: path, reason: "\(UInt64(reader.remaining) - payloadBytes) bytes after the payload")
        }
        return Opened(header: header, version: version, payloadCRC: payloadCRC, reader: reader)
    }

    /// Magic, version, header fields, payload length and both checksums.
    private func head(_ writeHeader: (inout BinaryWriter) -> Void, payload: [UInt8]) -> [UInt8] {
        var writer = BinaryWriter(reservingCapacity: 256)
        magic.withUnsafeBytes { writer.append(bytes: $0) }
        writer.append(currentVersion)
        writeHeader(&writer)
        writer.append(UInt64(payload.count))
        writer.append(payload.withUnsafeBytes { BinaryFile.checksum($0) })
        writer.append(writer.bytes.withUnsafeBytes { BinaryFile.checksum($0) })
        return writer.bytes
    }

    /// A file whose header verified, positioned at its payload.
    public struct Opened<Header> {
        /// The format's header fields.
        public let header: Header
        /// The file's format version.
        public let version: UInt16
        let payloadCRC: UInt32
        let reader: BinaryReader

        /// Names the file in errors.
        public var path: String { reader.path }
        /// The payload's length: the rest of the file.
        public var payloadBytes: Int { reader.remaining }

        /// The same file with its header fields turned into `transform`'s value (validated
        /// fields, now that the checksum vouched for them).
        public func mapHeader<New, Failure: Error>(_ transform: (Header) throws(Failure) -> New) throws(Failure) -> Opened<New> {
            Opened<New>(header: try transform(header), version: version, payloadCRC: payloadCRC, reader: reader)
        }

        /// Decodes the payload with `decode`, then checks that it read every payload byte and
        /// that they match the payload checksum; only then is the value returned.
        ///
        /// The payload is read once, in order, and checksummed as it is read (from a file,
        /// straight into the codec's storage), so `decode` works on bytes not yet verified: it
        /// must bound every allocation by `reader.remaining` (the reader's own reads do). When
        /// `decode` fails on bytes that do not match the checksum, the mismatch is the error.
        public func readPayload<Value>(_ decode: (inout BinaryReader) throws(FileFormatError) -> Value) throws(FileFormatError) -> Value {
            var reader = self.reader
            reader.startChecksum()
            var value: Value?
            var failure: FileFormatError?
            do { value = try decode(&reader) } catch { failure = error }
            let unread = reader.remaining
            try reader.skip(unread)
            let found = reader.checksum()
            guard found == payloadCRC else { throw .checksumMismatch(path: path, expected: payloadCRC, found: found) }
            if let failure { throw failure }
            guard unread == 0, let value else { throw .malformed(path: path, reason: "\(unread) unexpected bytes at the end") }
            return value
        }
    }
}
