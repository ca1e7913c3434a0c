import GantryIO

extension LexicalIndex {
    /// The lexical index file: a `FileEnvelope` ("GNTRYLEX") whose header holds k1 and the
    /// fields (name, weight, b), the number of documents and of terms; its payload the ids, the
    /// documents' field lengths (`UInt32`, fields per document), then per term its text, its
    /// number of postings, their slots (`Int32`, ascending) and counts (`UInt16`, fields per
    /// posting). Written without tombstones.
    static let envelope = FileEnvelope(magic: "GNTRYLEX", name: "lexical index", versions: 1...1)

    /// Writes the index to `path` atomically (tombstones compacted away in what is written).
    public func save(to path: String) throws(IndexError) {
        var index = self
        if index.live.count > index.liveCount { index.compact() }
        let width = fields.count
        var payload = BinaryWriter(reservingCapacity: index.lengths.count * 4 + index.postingSlots.reduce(0) { $0 + $1.count } * (4 + 2 * width))
        IndexFile.append(index.idMap.ids, to: &payload)
        for length in index.lengths { payload.append(length) }
        let terms = index.termIDs.sorted { $0.value < $1.value }
        for (term, termID) in terms {
            payload.append(term)
            let slots = index.postingSlots[Int(termID)]
            payload.append(UInt32(slots.count))
            for slot in slots { payload.append(slot) }
            for count in index.postingCounts[Int(termID)] { payload.append(count) }
        }
        do {
            try Self.envelope.write(header: { writer in
                writer.append(k1)
                writer.append(UInt16(width))
                for field in fields {
                    writer.append(field.name)
                    writer.append(field.weight)
                    writer.append(field.b)
                }
                writer.append(UInt64(index.liveCount))
                writer.append(UInt64(terms.count))
            }, payload: payload.bytes, to: path)
        } catch {
            throw .file(error)
        }
    }

    /// Loads an index written by `save(to:)`. Every count is checked against the bytes left
    /// before anything is allocated, and the postings against the documents (slots ascending and
    /// in range, every posting counting the term at least once, no field counting more terms
    /// than its length): a damaged or crafted file is `IndexError.file`, never a crash.
    public static func load(from path: String) throws(IndexError) -> LexicalIndex {
        do {
            let file = try envelope.open(path) { reader, _ throws(FileFormatError) in
                let k1 = try reader.readFloat()
                let width = Int(try reader.read(UInt16.self))
                var fields = [LexicalField]()
                for _ in 0..<width {
                    fields.append(LexicalField(name: try reader.readString(maxBytes: 256), weight: try reader.readFloat(), b: try reader.readFloat()))
                }
                return (k1: k1, fields: fields, documents: try reader.read(UInt64.self), terms: try reader.read(UInt64.self))
            }
            let header = file.header
            var index: LexicalIndex
            do { index = try LexicalIndex(fields: header.fields, k1: header.k1) } catch {
                throw FileFormatError.malformed(path: path, reason: "\(error)")
            }
            try file.readPayload { reader throws(FileFormatError) in try index.decode(header.documents, terms: header.terms, from: &reader) }
            return index
        } catch let error as IndexError {
            throw error
        } catch let error as FileFormatError {
            throw .file(error)
        } catch {
            throw .file(.malformed(path: path, reason: "\(error)"))
        }
    }

    /// Reads the payload `save(to:)` wrote into this empty index.
    private mutating func decode(_ documentCount: UInt64, terms termCount: UInt64, from reader: inout BinaryReader) throws(FileFormatError) {
        let path = reader.path, width = fields.count
        func malformed(_ reason: String) -> FileFormatError { .malformed(path: path, reason: reason) }
        // An id takes at least 5 bytes (a name's kind and length) and a length 4 per field; a
        // term at least 8 (its text's length and its number of postings).
        guard documentCount <= UInt64(reader.remaining / (5 + 4 * width)) else { throw malformed("\(documentCount) documents do not fit the file") }
        let n = Int(documentCount)
        let ids = try IndexFile.readIDs(n, from: &reader)
        idMap = try IDMap(loading: ids, from: path)
        lengths = []
        lengths.reserveCapacity(n * width)
        for _ in 0..<(n * width) { lengths.append(try reader.read(UInt32.self)) }
        guard termCount <= UInt64(reader.remaining / 8), termCount < UInt64(Int32.max) else { throw malformed("\(termCount) terms do not fit the file") }
        var counted = [UInt64](repeating: 0, count: n * width), saturated = [Bool](repeating: false, count: n * width)
        documentTerms = Array(repeating: [], count: n)
        for termID in 0..<Int32(termCount) {
            let term = try reader.readString(maxBytes: ToolTokenizer.maxTermBytes)
            guard !term.isEmpty, termIDs.updateValue(termID, forKey: term) == nil else { throw malformed("term \(termID) is empty or repeats") }
            let postings = Int(try reader.read(UInt32.self))
            guard postings <= n, postings * (4 + 2 * width) <= reader.remaining else {
                throw malformed("term \(term) has \(postings) postings, more than the documents or the file hold")
            }
            let slots = try reader.readInt32s(postings)
            var counts = [UInt16]()
            counts.reserveCapacity(postings * width)
            for _ in 0..<(postings * width) { counts.append(try reader.read(UInt16.self)) }
            for (i, slot) in slots.enumerated() {
                guard slot >= 0, slot < n, i == 0 || slots[i - 1] < slot else { throw malformed("term \(term): posting slots out of order or range") }
                guard counts[i * width ..< (i + 1) * width].contains(where: { $0 > 0 }) else { throw malformed("term \(term): a posting counts nothing") }
                for f in 0..<width {
                    counted[Int(slot) * width + f] += UInt64(counts[i * width + f])
                    saturated[Int(slot) * width + f] = saturated[Int(slot) * width + f] || counts[i * width + f] == .max
                }
                documentTerms[Int(slot)].append(termID)
            }
            postingSlots.append(slots)
            postingCounts.append(counts)
            documentFrequency.append(Int32(postings))
        }
        for i in counted.indices where counted[i] > UInt64(lengths[i]) || (!saturated[i] && counted[i] != UInt64(lengths[i])) {
            throw malformed("document \(i / width), field \(fields[i % width].name): its terms count \(counted[i]), its length is \(lengths[i])")
        }
        live = Array(repeating: true, count: n)
        liveCount = n
        totalLengths = (0..<width).map { f in stride(from: f, to: lengths.count, by: width).reduce(0) { $0 + Int(lengths[$1]) } }
        maxLengths = Self.longest(lengths, fields: width)
    }
}
