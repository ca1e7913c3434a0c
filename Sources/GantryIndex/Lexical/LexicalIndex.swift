import Foundation
import GantryMath

/// An inverted index scoring documents of several fields with BM25F (Robertson and Zaragoza,
/// *The Probabilistic Relevance Framework: BM25 and Beyond*, 2009): for a query's distinct terms
/// *t*, a document's score is Σₜ idf(t) · t̃f / (k1 + t̃f), where t̃f = Σ_f w_f · tf_f /
/// (1 − b_f + b_f · len_f / avglen_f) combines the term's counts in every field before saturating,
/// and idf(t) = ln(1 + (N − df + 0.5) / (df + 0.5)) over the N documents held (Lucene's
/// non-negative form). Text is split by `ToolTokenizer`.
///
/// Storage: a term dictionary; per term, its postings in two contiguous arrays (document slots
/// ascending, and each posting's counts per field); per document, its field lengths. A removed
/// document leaves a tombstone (statistics drop it at once); the index compacts itself — slots
/// renumbered, terms no document holds dropped — when tombstones outnumber live documents and
/// 64. A search scores every document holding a query term (exhaustively, so the scores equal the
/// formula), then selects the best `k` among them; a filter masks the documents it leaves out
/// first, so a search still returns `k` hits when `k` allowed documents match.
public struct LexicalIndex: Sendable {
    /// The fields every document has, in order.
    public let fields: [LexicalField]
    /// BM25's term-frequency saturation (> 0; 1.2 by default).
    public let k1: Float

    var idMap = IDMap()
    /// Whether each slot holds a document (false: a tombstone).
    var live: [Bool] = []
    /// Field lengths in terms, `fields.count` per slot.
    var lengths: [UInt32] = []
    /// Per field, the total length over live documents.
    var totalLengths: [Int]
    /// Per field, the longest length of a document held (or held before: it only grows until a
    /// compaction or a load recomputes it).
    var maxLengths: [UInt32]
    var liveCount = 0
    var termIDs: [String: Int32] = [:]
    /// Per term: its documents' slots (ascending), their counts (`fields.count` per posting), and
    /// how many live documents hold it.
    var postingSlots: [[Int32]] = []
    var postingCounts: [[UInt16]] = []
    var documentFrequency: [Int32] = []
    /// Per slot, the distinct terms of its document (to update document frequencies on removal).
    var documentTerms: [[Int32]] = []
    /// The postings weighted under the current statistics, so that a search multiplies by idf and
    /// adds; nil once a change made them stale (`prepareForSearch()`).
    var prepared: PreparedPostings?

    /// An empty index of documents with `fields` (at least one, names distinct, weights > 0, b in
    /// 0...1) and saturation `k1` (> 0).
    public init(fields: [LexicalField], k1: Float = 1.2) throws(IndexError) {
        guard !fields.isEmpty else { throw .invalidParameter("a lexical index needs at least one field") }
        guard Set(fields.map(\.name)).count == fields.count else {
            throw .invalidParameter("field names must be distinct: \(fields.map(\.name))")
        }
        guard fields.count <= 64 else { throw .invalidParameter("a lexical index has at most 64 fields, not \(fields.count)") }
        for field in fields {
            guard !field.name.isEmpty, field.name.utf8.count <= 256 else {
                throw .invalidParameter("a field's name must be 1 to 256 bytes long, not \(field.name.utf8.count)")
            }
            guard field.weight.isFinite, field.weight > 0 else { throw .invalidParameter("field \(field.name): weight must be > 0, not \(field.weight)") }
            guard (0...1).contains(field.b) else { throw .invalidParameter("field \(field.name): b must be within 0...1, not \(field.b)") }
        }
        guard k1.isFinite, k1 > 0 else { throw .invalidParameter("k1 must be > 0, not \(k1)") }
        self.fields = fields
        self.k1 = k1
        totalLengths = Array(repeating: 0, count: fields.count)
        maxLengths = Array(repeating: 0, count: fields.count)
    }

    /// The number of documents held.
    public var count: Int { liveCount }

    /// Whether `id` is indexed.
    public func contains(_ id: VectorID) -> Bool { idMap.slot(of: id) != nil }

    /// The slot of `id`, nil when it is not indexed. A slot is a document's position in this
    /// value of the index, valid until its next change (a compaction renumbers them): what
    /// `LexicalScores.topSlots` answers with, and how another index of the same ids can be
    /// linked to this one by position (`HNSWIndex.slot(of:)`).
    public func slot(of id: VectorID) -> Int? { idMap.slot(of: id).map(Int.init) }

    /// The id at every slot, in slot order: removed documents' slots keep the id they had (one
    /// possibly added again at another slot), so read it only at a slot `slot(of:)` or
    /// `LexicalScores.topSlots` gave.
    public var slotIDs: [VectorID] { idMap.ids }

    /// The number of distinct terms indexed (those only removed documents held stay until the
    /// next compaction).
    public var termCount: Int { termIDs.count }

    /// Adds a document: one text per field, in `fields` order. Throws `IndexError.duplicateID`
    /// for an id already held, `.invalidParameter` for the wrong number of texts; nothing is
    /// added then.
    public mutating func add(_ texts: [String], id: VectorID) throws(IndexError) {
        guard texts.count == fields.count else {
            throw .invalidParameter("a document has \(fields.count) fields (\(fields.map(\.name).joined(separator: ", "))), not \(texts.count) texts")
        }
        try idMap.checkNew([id])
        let slot = Int32(live.count)
        var counts = [Int32: [UInt16]]()
        for (field, text) in texts.enumerated() {
            let terms = ToolTokenizer.terms(text)
            let length = UInt32(min(terms.count, Int(UInt32.max)))
            lengths.append(length)
            totalLengths[field] += Int(length)
            maxLengths[field] = max(maxLengths[field], length)
            for term in terms {
                let termID = termIDs[term] ?? newTerm(term)
                var fieldCounts = counts[termID] ?? Array(repeating: 0, count: fields.count)
                if fieldCounts[field] < .max { fieldCounts[field] += 1 }
                counts[termID] = fieldCounts
            }
        }
        let documentTermIDs = counts.keys.sorted()
        for termID in documentTermIDs {
            postingSlots[Int(termID)].append(slot)
            postingCounts[Int(termID)] += counts[termID]!
            documentFrequency[Int(termID)] += 1
        }
        documentTerms.append(documentTermIDs)
        idMap.append(id)
        live.append(true)
        liveCount += 1
        prepared = nil
    }

    private mutating func newTerm(_ term: String) -> Int32 {
        let termID = Int32(postingSlots.count)
        termIDs[term] = termID
        postingSlots.append([])
        postingCounts.append([])
        documentFrequency.append(0)
        return termID
    }

    /// Removes `id`'s document; throws `IndexError.unknownID` if it is not held.
    public mutating func remove(_ id: VectorID) throws(IndexError) {
        guard let slot = idMap.slot(of: id) else { throw .unknownID(id) }
        idMap.forget(id)
        live[Int(slot)] = false
        liveCount -= 1
        for field in fields.indices { totalLengths[field] -= Int(lengths[Int(slot) * fields.count + field]) }
        for termID in documentTerms[Int(slot)] { documentFrequency[Int(termID)] -= 1 }
        prepared = nil
        if live.count - liveCount > max(64, liveCount) { compact() }
    }

    /// Whether searches take the prepared path (`prepareForSearch()` since the last change).
    public var isPreparedForSearch: Bool { prepared != nil }

    /// Computes every posting's saturated term frequency under the current statistics (one pass
    /// over the postings), so that searches until the next change do one multiply-add per
    /// posting instead of the normalisation and saturation, and add the terms most documents hold
    /// as masked rows, 16 documents at a time (`PreparedPostings`): worth it when an index serves
    /// many queries between changes. A change (`add`, `remove`) drops them; searches are equal either
    /// way (to float rounding).
    public mutating func prepareForSearch() {
        prepareForSearch(sparseRows: SIMDKernels.activeLevel >= .avx512)
    }

    /// `prepareForSearch()` with the common terms' rows masked (`sparseRows`) or dense
    /// (`PreparedPostings`): either is searched by every kernel variant, to the same scores.
    mutating func prepareForSearch(sparseRows: Bool) {
        let width = fields.count, n = Float(max(liveCount, 1)), k1 = k1
        var factors = [Float](repeating: 0, count: lengths.count)  // per slot and field: w_f / (1 − b_f + b_f · len / avglen_f)
        for f in fields.indices {
            let field = fields[f], average = max(Float(totalLengths[f]) / n, .leastNormalMagnitude)
            for slot in live.indices where live[slot] {
                factors[slot * width + f] = field.weight / (1 - field.b + field.b * Float(lengths[slot * width + f]) / average)
            }
        }
        let weights = postingSlots.indices.map { termID in
            let slots = postingSlots[termID], counts = postingCounts[termID]
            return slots.indices.map { i in
                let slot = Int(slots[i])
                var tf: Float = 0
                for f in 0..<width { tf += Float(counts[i * width + f]) * factors[slot * width + f] }
                return tf / (k1 + tf)  // 0 for a tombstone (its factors are 0)
            }
        }
        prepared = PreparedPostings(slots: postingSlots, weights: weights, slotCount: live.count, termIDs: termIDs,
                                    idfs: documentFrequency.map { Self.idf(documentFrequency: Float($0), documents: n) },
                                    sparseRows: sparseRows)
    }

    /// Per field, the longest of `lengths` (`fields` per document).
    static func longest(_ lengths: [UInt32], fields: Int) -> [UInt32] {
        (0..<fields).map { f in stride(from: f, to: lengths.count, by: fields).reduce(0) { max($0, lengths[$1]) } }
    }

    /// Rebuilds the postings without tombstones (slots renumbered in order).
    mutating func compact() {
        var newSlot = [Int32](repeating: -1, count: live.count), next: Int32 = 0
        for slot in live.indices where live[slot] {
            newSlot[slot] = next
            next += 1
        }
        let width = fields.count
        // Terms no live document holds are dropped; the others are renumbered in order.
        var newTermID = [Int32](repeating: -1, count: postingSlots.count), kept: Int32 = 0
        var slotsKept = [[Int32]](), countsKept = [[UInt16]](), frequenciesKept = [Int32]()
        for termID in postingSlots.indices where documentFrequency[termID] > 0 {
            var slots = [Int32](), counts = [UInt16]()
            for (i, slot) in postingSlots[termID].enumerated() where live[Int(slot)] {
                slots.append(newSlot[Int(slot)])
                counts += postingCounts[termID][i * width ..< (i + 1) * width]
            }
            slotsKept.append(slots)
            countsKept.append(counts)
            frequenciesKept.append(documentFrequency[termID])
            newTermID[termID] = kept
            kept += 1
        }
        (postingSlots, postingCounts, documentFrequency) = (slotsKept, countsKept, frequenciesKept)
        termIDs = termIDs.compactMapValues { newTermID[Int($0)] >= 0 ? newTermID[Int($0)] : nil }
        lengths = live.indices.filter { live[$0] }.flatMap { lengths[$0 * width ..< ($0 + 1) * width] }
        documentTerms = live.indices.filter { live[$0] }.map { documentTerms[$0].map { newTermID[Int($0)] } }
        maxLengths = Self.longest(lengths, fields: width)
        idMap.compact(removing: Set(live.indices.filter { !live[$0] }))
        live = Array(repeating: true, count: liveCount)
        prepared = nil
    }

    /// The BM25F score of every slot for `query` (0 for documents without a query term, and for
    /// tombstones), indexed by slot, with their summary (`LexicalScores`: Σ, Σ² and the maximum of
    /// each block of `LexicalScores.blockSize` slots).
    func slotScores(_ query: String) -> (scores: [Float], summary: LexicalScores.Summary) {
        // Prepared, an ASCII query's terms are looked up by their bytes as the tokenizer finds them.
        if let prepared, let scores = query.utf8.withContiguousStorageIfAvailable({ bytes in
            var terms = [Int32]()
            let ascii = ToolTokenizer.forEachASCIITerm(bytes) { term in
                if let id = prepared.terms.id(of: term) { terms.append(id) }
            }
            return ascii ? slotScores(matching: terms) : nil
        }), let scores {
            return scores
        }
        return slotScores(matching: ToolTokenizer.terms(query).lazy.compactMap { termIDs[$0] })
    }

    /// `slotScores` of the query whose terms the index holds are `terms` (repeats ignored).
    private func slotScores(matching terms: some Sequence<Int32>) -> (scores: [Float], summary: LexicalScores.Summary) {
        var scores = [Float](repeating: 0, count: live.count)
        let matched = liveCount > 0 ? matchedTerms(terms) : []
        let summary = scores.withUnsafeMutableBufferPointer { scores in
            if let prepared {
                return prepared.add(matched, postingSlots: postingSlots, to: scores, summaryBlock: LexicalScores.blockSize)
            }
            let factors = matched.isEmpty ? ([], [], []) : lengthFactors()
            for (termID, idf) in matched {
                postingSlots[termID].withUnsafeBufferPointer { slots in add(termID, idf: idf, slots: slots, factors: factors, to: scores) }
            }
            return SIMDKernels.addMaskedRows([], weights: [], to: scores, block: LexicalScores.blockSize)
        }
        return (scores, summary)
    }

    /// Per field, w_f / (1 − b_f + b_f · length / avglen_f) for the lengths held (up to a cap),
    /// field f's at `table[starts[f] ..< ends[f]]`: one division per length and query instead of
    /// one per posting and field.
    private func lengthFactors() -> (table: [Float], starts: [Int], ends: [Int]) {
        let n = Float(liveCount)
        var table = [Float](), starts = [Int](), ends = [Int]()
        for f in fields.indices {
            let field = fields[f], average = max(Float(totalLengths[f]) / n, .leastNormalMagnitude)
            starts.append(table.count)
            table += (0...min(Int(maxLengths[f]), Self.factorTableLimit)).map { field.weight / (1 - field.b + field.b * Float($0) / average) }
            ends.append(table.count)
        }
        return (table, starts, ends)
    }

    /// Adds `termID`'s contribution (its postings: `slots`) to `scores`, normalising (`factors`)
    /// and saturating each posting's counts under the current statistics.
    private func add(_ termID: Int, idf: Float, slots: UnsafeBufferPointer<Int32>,
                     factors: (table: [Float], starts: [Int], ends: [Int]), to scores: UnsafeMutableBufferPointer<Float>) {
        let width = fields.count, n = Float(liveCount), k1 = k1, (table, starts, ends) = factors
        let tombstones = live.count > liveCount
        postingCounts[termID].withUnsafeBufferPointer { counts in
            lengths.withUnsafeBufferPointer { lengths in
                live.withUnsafeBufferPointer { live in
                    table.withUnsafeBufferPointer { table in
                        if width == 1, !tombstones {  // the common case: one field, no removals
                            let end = ends[0]
                            for i in 0..<slots.count {
                                let slot = Int(slots[i]), length = Int(lengths[slot])
                                let tf = Float(counts[i]) * (length < end ? table[length] : factor(0, length, n))
                                scores[slot] += idf * tf / (k1 + tf)
                            }
                            return
                        }
                        for i in 0..<slots.count {
                            let slot = Int(slots[i])
                            guard live[slot] else { continue }
                            var tf: Float = 0
                            for f in 0..<width {
                                let count = counts[i * width + f]
                                guard count > 0 else { continue }
                                let length = Int(lengths[slot * width + f]), at = starts[f] + length
                                tf += Float(count) * (at < ends[f] ? table[at] : factor(f, length, n))
                            }
                            scores[slot] += idf * tf / (k1 + tf)
                        }
                    }
                }
            }
        }
    }

    /// The query's distinct terms that live documents hold, with their idf
    /// ln(1 + (N − df + 0.5) / (df + 0.5)), in the query's order.
    private func matchedTerms(_ terms: some Sequence<Int32>) -> [(termID: Int, idf: Float)] {
        // Repeats are found by a look at the terms kept while they are few (a query's usually are),
        // then by a set.
        var matched = [(termID: Int, idf: Float)](), seen = Set<Int32>()
        let n = Float(liveCount)
        for termID in terms {
            if matched.count < 32 {
                guard !matched.contains(where: { $0.termID == Int(termID) }) else { continue }
            } else {
                if seen.isEmpty { seen = Set(matched.map { Int32($0.termID) }) }
                guard seen.insert(termID).inserted else { continue }
            }
            let df = documentFrequency[Int(termID)]
            guard df > 0 else { continue }
            matched.append((Int(termID), prepared?.idfs[Int(termID)] ?? Self.idf(documentFrequency: Float(df), documents: n)))
        }
        return matched
    }

    /// ln(1 + (N − df + 0.5) / (df + 0.5)) of a term `documentFrequency` of the `documents` hold.
    static func idf(documentFrequency df: Float, documents n: Float) -> Float {
        log(1 + (n - df + 0.5) / (df + 0.5))
    }

    /// The longest field length whose normalisation factor a search tabulates; longer fields
    /// (rare: a description of thousands of terms) compute theirs directly.
    static let factorTableLimit = 4_096

    /// Field `f`'s normalisation factor at `length` among `n` documents, computed directly.
    private func factor(_ f: Int, _ length: Int, _ n: Float) -> Float {
        let field = fields[f], average = max(Float(totalLengths[f]) / n, .leastNormalMagnitude)
        return field.weight / (1 - field.b + field.b * Float(length) / average)
    }

    /// The ids of the documents held, in the order `scores(_:)` gives their scores: the order
    /// they were added, removed documents left out (a document removed and added again comes last).
    public var ids: [VectorID] {
        live.count == liveCount ? idMap.ids : live.indices.filter { live[$0] }.map { idMap.ids[$0] }
    }

    /// The BM25F score of every document for `query`, in the order of `ids`; 0 for documents
    /// holding none of its terms. What fusion normalises.
    public func scores(_ query: String) -> [Float] {
        liveScores(slotScores(query).scores)
    }

    /// The BM25F scores of every document, in the order of `ids`, for each query given by the
    /// hashes of its distinct terms (`ToolTokenizer.termHashes`, as feedback keeps them when its
    /// text is not kept): `scores(_:)` of the text they came from, to float rounding (the terms
    /// add in another order). A hash no indexed term has matches nothing; two terms of one hash
    /// (odds about 2⁻⁶⁴ per pair) would count as the first indexed.
    public func scores(termHashes queries: [[UInt64]]) -> [[Float]] {
        var termOfHash = [UInt64: Int32](minimumCapacity: termIDs.count)
        for (term, termID) in termIDs {
            let hash = ToolTokenizer.termHash(term)
            termOfHash[hash] = min(termID, termOfHash[hash] ?? .max)
        }
        return queries.map { hashes in liveScores(slotScores(matching: hashes.lazy.compactMap { termOfHash[$0] }).scores) }
    }

    /// Per-slot `scores` without the tombstones' slots: in the order of `ids`.
    private func liveScores(_ scores: [Float]) -> [Float] {
        live.count == liveCount ? scores : live.indices.filter { live[$0] }.map { scores[$0] }
    }

    /// The BM25F scores of every document for `query`, to read once or many times (`LexicalScores`).
    public func scoring(_ query: String) -> LexicalScores {
        let (scores, summary) = slotScores(query)
        return LexicalScores(index: self, slotScores: scores, summary: summary)
    }

    /// The `k` documents scoring highest for `query`, best first (ties: the earlier added);
    /// documents without any of the query's terms are not returned. With `filter`, only allowed
    /// documents are considered.
    public func search(_ query: String, k: Int, filter: SearchFilter? = nil) throws(IndexError) -> [SearchResult] {
        guard k >= 0 else { throw .invalidParameter("k must not be negative, got \(k)") }
        guard k > 0, liveCount > 0 else { return [] }
        return try scoring(query).top(k, filter: filter)
    }
}
