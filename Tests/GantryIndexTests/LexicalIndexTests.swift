import Foundation
@testable import GantryIndex
import GantryIO
import GantryMath
import Testing

@Suite("LexicalIndex")
struct LexicalIndexTests {
    static let fields = [LexicalField(name: "name", weight: 3, b: 0.5), LexicalField(name: "description", weight: 1, b: 0.75),
                         LexicalField(name: "parameters", weight: 0.5, b: 0)]
    static let vocabulary = ["user", "invoice", "send", "cancel", "subscription", "email", "list", "open", "pull", "request",
                             "weather", "forecast", "city", "stock", "price", "ticker", "create", "delete", "file", "folder"]

    /// A random document: a snake_case name of 1–3 words, a description of 0–30 words, and
    /// parameters of 0–4 camelCase names.
    static func document(_ rng: inout SplitMix64) -> [String] {
        func words(_ count: Int) -> [String] { (0..<count).map { _ in vocabulary[Int(rng.next() % UInt64(vocabulary.count))] } }
        let name = words(Int(rng.next() % 3) + 1).joined(separator: "_")
        let description = words(Int(rng.next() % 31)).joined(separator: " ")
        let parameters = (0..<Int(rng.next() % 5)).map { _ in words(2).enumerated().map { $0 == 0 ? $1 : $1.capitalized }.joined() }
        return [name, description, parameters.joined(separator: " ")]
    }

    /// BM25F written out plainly, in Double, over the documents held.
    static func reference(_ documents: [(id: VectorID, texts: [String])], query: String, fields: [LexicalField] = fields,
                          k1: Double = 1.2) -> [VectorID: Double] {
        let terms = documents.map { $0.texts.map(ToolTokenizer.terms) }
        let n = Double(documents.count)
        let averages = fields.indices.map { f in terms.reduce(0.0) { $0 + Double($1[f].count) } / n }
        var scores = [VectorID: Double]()
        for term in Set(ToolTokenizer.terms(query)) {
            let df = Double(terms.filter { $0.contains { $0.contains(term) } }.count)
            guard df > 0 else { continue }
            let idf = Foundation.log(1 + (n - df + 0.5) / (df + 0.5))
            for (d, document) in terms.enumerated() {
                var tf = 0.0
                for (f, field) in fields.enumerated() {
                    let count = Double(document[f].filter { $0 == term }.count)
                    guard count > 0 else { continue }
                    let b = Double(field.b)
                    tf += Double(field.weight) * count / (1 - b + b * Double(document[f].count) / averages[f])
                }
                if tf > 0 { scores[documents[d].id, default: 0] += idf * tf / (k1 + tf) }
            }
        }
        return scores
    }

    /// Every search path — as built, and prepared (`prepareForSearch()`) with masked and with
    /// dense rows — equals the reference.
    static func expectMatchesReference(_ index: LexicalIndex, _ documents: [(id: VectorID, texts: [String])], queries: [String]) throws {
        var masked = index, dense = index
        masked.prepareForSearch(sparseRows: true)
        dense.prepareForSearch(sparseRows: false)
        #expect(!index.isPreparedForSearch && masked.isPreparedForSearch && dense.isPreparedForSearch)
        for index in [index, masked, dense] { try expectMatchesReference(onePath: index, documents, queries: queries) }
    }

    static func expectMatchesReference(onePath index: LexicalIndex, _ documents: [(id: VectorID, texts: [String])], queries: [String]) throws {
        for query in queries {
            let expected = reference(documents, query: query, fields: index.fields)
            let found = try index.search(query, k: documents.count + 1)
            #expect(found.count == expected.count, "\(query): \(found.count) hits, the reference scores \(expected.count) documents")
            for hit in found {
                let want = expected[hit.id] ?? -1
                #expect(abs(Double(hit.score) - want) <= 1e-4 * max(1, want), "\(query): \(hit.id) scored \(hit.score), the reference \(want)")
            }
            #expect(zip(found, found.dropFirst()).allSatisfy { $0.score >= $1.score }, "\(query): hits not in score order")
        }
    }

    @Test(arguments: [1, 7, 200])
    func scoresEqualAPlainBM25FInDouble(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        var index = try LexicalIndex(fields: Self.fields)
        let documents = (0..<Int(20 + seed)).map { (id: VectorID.number(Int64($0)), texts: Self.document(&rng)) }
        for document in documents { try index.add(document.texts, id: document.id) }
        // Also: a query beyond ASCII (the prepared path then looks its terms up as strings), and one
        // of every name (more than 32 distinct terms, each more than once).
        let names = documents.map { $0.texts[0] }.joined(separator: " ")
        let queries = (0..<30).map { _ in Self.document(&rng)[1] }
            + ["cancelSubscription", "send_invoice email", "nothing matches this", "", "Café user ÉMAIL", names + " " + names]
        #expect(Set(ToolTokenizer.terms(names)).count > 32)
        try Self.expectMatchesReference(index, documents, queries: queries)
    }

    /// One field (the path most indexes take) equals the reference too.
    @Test func oneFieldScoresEqualTheReference() throws {
        var rng = SplitMix64(seed: 9)
        var index = try LexicalIndex(fields: [LexicalField(name: "text", weight: 1, b: 0.75)])
        let documents = (0..<150).map { (id: VectorID.number(Int64($0)), texts: [Self.document(&rng).joined(separator: " ")]) }
        for document in documents { try index.add(document.texts, id: document.id) }
        try Self.expectMatchesReference(index, documents, queries: (0..<30).map { _ in Self.document(&rng)[1] })
        #expect(try index.search("user", k: .max).count <= documents.count)  // k past the documents: no huge allocation
        #expect(try index.search("user", k: 0).isEmpty)
    }

    /// Removing documents updates every statistic at once; removing most of them compacts the
    /// postings (terms only removed documents held are dropped), and scores still equal the
    /// reference over what is left — with three fields, and with one (its own loop).
    @Test(arguments: [3, 1])
    func removalsKeepScoresExact(fieldCount: Int) throws {
        var rng = SplitMix64(seed: 42)
        var index = try LexicalIndex(fields: fieldCount == 3 ? Self.fields : [LexicalField(name: "text")])
        var documents = (0..<400).map { i in
            let texts = Self.document(&rng)
            return (id: VectorID.name("tool_\(i)"), texts: fieldCount == 3 ? texts : [texts.joined(separator: " ") + " only\(i)"])
        }
        for document in documents { try index.add(document.texts, id: document.id) }
        let queries = (0..<20).map { _ in Self.document(&rng)[1] }
        try Self.expectMatchesReference(index, documents, queries: queries)
        let termsBefore = index.termCount
        for fraction in [0.1, 0.8] {  // a few tombstones, then enough to compact
            let removing = documents.indices.filter { _ in Double(rng.next() % 1000) / 1000 < fraction }
            for i in removing { try index.remove(documents[i].id) }
            documents = documents.indices.filter { !removing.contains($0) }.map { documents[$0] }
            #expect(index.count == documents.count)
            try Self.expectMatchesReference(index, documents, queries: queries)
        }
        if fieldCount == 1 { #expect(index.termCount < termsBefore, "compaction kept the terms of removed documents") }
        let again = documents[0]
        try index.remove(again.id)
        try index.add(again.texts, id: again.id)  // an id removed may be added again, and is found
        #expect(index.contains(again.id) && index.count == documents.count && index.ids.last == again.id)
        try Self.expectMatchesReference(index, documents, queries: queries)
        var prepared = index
        prepared.prepareForSearch()
        try prepared.remove(documents[1].id)
        #expect(!prepared.isPreparedForSearch, "a change leaves the prepared weights stale: they are dropped")
    }

    /// The top k of thousands of documents (where the block maxima give the selection a floor)
    /// equals sorting every score, ties to the earlier added — with most documents sharing one of
    /// a few texts, so that ties sit at the floor; slots answer as ids do.
    @Test func theTopOfALargeCatalogueIsExact() throws {
        var rng = SplitMix64(seed: 5)
        var index = try LexicalIndex(fields: [LexicalField(name: "text")])
        let texts = (0..<40).map { _ in Self.document(&rng).joined(separator: " ") }
        for i in 0..<3_000 { try index.add([texts[Int(rng.next() % 40)]], id: numbers(i)) }
        let queries = (0..<10).map { _ in Self.document(&rng)[1] } + ["user", "send invoice", "nothing"]
        for prepared in [false, true] {
            if prepared { index.prepareForSearch() }
            for query in queries {
                let scoring = index.scoring(query), all = index.scores(query)  // no removals: slot order
                let order = all.indices.filter { all[$0] > 0 }.sorted { all[$0] != all[$1] ? all[$0] > all[$1] : $0 < $1 }
                for k in [1, 5, 20, 47] {
                    let top = try scoring.top(k)
                    #expect(top.map(\.id) == order.prefix(k).map { index.ids[$0] } && top.map(\.score) == order.prefix(k).map { all[$0] },
                            "\(query), k \(k)")
                    let slots = try scoring.topSlots(k)
                    #expect(slots.map { index.slotIDs[$0.index] } == top.map(\.id) && slots.map(\.score) == top.map(\.score))
                    #expect(slots.allSatisfy { scoring.score(atSlot: $0.index) == $0.score && index.slot(of: index.slotIDs[$0.index]) == $0.index })
                }
            }
        }
    }

    /// A query kept as its terms' hashes (feedback whose text is not kept) scores exactly as its
    /// text, on both search paths and after removals; hashes no term has match nothing.
    @Test func termHashesScoreAsTheirText() throws {
        var rng = SplitMix64(seed: 31)
        var index = try LexicalIndex(fields: Self.fields)
        let documents = (0..<120).map { (id: VectorID.number(Int64($0)), texts: Self.document(&rng)) }
        for document in documents { try index.add(document.texts, id: document.id) }
        for document in documents.prefix(30) { try index.remove(document.id) }
        let queries = (0..<20).map { _ in Self.document(&rng)[1] } + ["cancelSubscription now", "nothing matches this", ""]
        var prepared = index
        prepared.prepareForSearch()
        for index in [index, prepared] {
            let hashed = index.scores(termHashes: queries.map(ToolTokenizer.termHashes))
            for (query, scores) in zip(queries, hashed) {  // the terms add in another order: equal to rounding
                let worst = zip(scores, index.scores(query)).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
                #expect(scores.count == index.count && worst <= 1e-5, "\(query): off by \(worst)")
            }
        }
        #expect(ToolTokenizer.termHashes("Send send SEND email") == ToolTokenizer.termHashes("email send"))  // distinct, order-free
        #expect(index.scores(termHashes: [[1, 2, 3]]) == [Array(repeating: 0, count: index.count)])
    }

    @Test func filtersApplyWhileSelecting() throws {
        var index = try LexicalIndex(fields: [LexicalField(name: "text")])
        for i in 0..<50 { try index.add(["send invoice \(i % 5 == 0 ? "now" : "later")"], id: .number(Int64(i))) }
        let allowed = Set((0..<50).filter { $0 % 7 == 0 }.map { VectorID.number(Int64($0)) })
        let filtered = try index.search("send invoice now", k: 5, filter: .allowing(allowed))
        #expect(filtered.count == 5 && filtered.allSatisfy { allowed.contains($0.id) })
        #expect(filtered.first?.id == 0 || filtered.first?.id == 35)  // the allowed ones holding "now"
        let excluding = try index.search("now", k: 20, filter: .excluding([0, 5]))
        #expect(Set(excluding.map(\.id)) == Set([10, 15, 20, 25, 30, 35, 40, 45].map { VectorID.number($0) }))
        let matching = try index.search("now", k: 20, filter: .matching { if case .number(let n) = $0 { n >= 40 } else { false } })
        #expect(Set(matching.map(\.id)) == [40, 45])
    }

    /// A query naming a tool exactly ranks it first among tools sharing its words.
    @Test func anExactNameRanksFirst() throws {
        var index = try LexicalIndex(fields: Self.fields)
        try index.add(["list_pull_requests", "List the open pull requests of a repository.", "repo state"], id: "list_pull_requests")
        try index.add(["open_pull_request", "Open a pull request from a branch.", "repo head base"], id: "open_pull_request")
        try index.add(["list_requests", "List pending access requests.", "team"], id: "list_requests")
        #expect(try index.search("listPullRequests", k: 3).first?.id == "list_pull_requests")
        #expect(try index.search("open a pull request", k: 3).first?.id == "open_pull_request")
    }

    @Test func badInputIsRefusedAndChangesNothing() throws {
        #expect(throws: IndexError.self) { try LexicalIndex(fields: []) }
        #expect(throws: IndexError.self) { try LexicalIndex(fields: [LexicalField(name: "a"), LexicalField(name: "a")]) }
        #expect(throws: IndexError.self) { try LexicalIndex(fields: [LexicalField(name: "a", weight: 0)]) }
        #expect(throws: IndexError.self) { try LexicalIndex(fields: [LexicalField(name: "a", b: 1.5)]) }
        #expect(throws: IndexError.self) { try LexicalIndex(fields: [LexicalField(name: "a")], k1: .nan) }
        var index = try LexicalIndex(fields: Self.fields)
        try index.add(["a", "b", "c"], id: 1)
        #expect(throws: IndexError.invalidParameter("a document has 3 fields (name, description, parameters), not 2 texts")) {
            try index.add(["a", "b"], id: 2)
        }
        #expect(throws: IndexError.duplicateID(1)) { try index.add(["x", "y", "z"], id: 1) }
        #expect(throws: IndexError.unknownID(9)) { try index.remove(9) }
        #expect(throws: IndexError.self) { try index.search("a", k: -1) }
        #expect(throws: IndexError.self) { try LexicalIndex(fields: [LexicalField(name: String(repeating: "n", count: 300))]) }
        #expect(index.count == 1 && index.termCount == 3)
    }
}

@Suite("LexicalIndex files")
struct LexicalIndexFileTests {
    static func built(removing: Int = 0) throws -> (LexicalIndex, [String]) {
        var rng = SplitMix64(seed: 5)
        var index = try LexicalIndex(fields: LexicalIndexTests.fields, k1: 1.5)
        for i in 0..<300 { try index.add(LexicalIndexTests.document(&rng), id: i % 3 == 0 ? .name("tool_\(i)") : .number(Int64(i))) }
        for i in 0..<removing { try index.remove(i % 3 == 0 ? .name("tool_\(i)") : .number(Int64(i))) }
        return (index, (0..<25).map { _ in LexicalIndexTests.document(&rng)[1] })
    }

    /// What loads searches as what was saved: same ids and scores, tombstones left behind.
    @Test(arguments: [0, 40, 250])
    func aSavedIndexLoadsEqual(removing: Int) throws {
        let (index, queries) = try Self.built(removing: removing)
        let path = try temporaryPath("lexical-\(removing).glex")
        try index.save(to: path)
        let loaded = try LexicalIndex.load(from: path)
        #expect(loaded.count == index.count && loaded.fields == index.fields && loaded.k1 == index.k1)
        for query in queries {
            let (a, b) = (try index.search(query, k: 20), try loaded.search(query, k: 20))
            #expect(a.map(\.id) == b.map(\.id) && zip(a, b).allSatisfy { abs($0.score - $1.score) <= 1e-5 * max(1, $0.score) }, "\(query)")
        }
        var grown = loaded
        try grown.add(["fresh_tool", "a tool added after loading", ""], id: "fresh_tool")
        #expect(try grown.search("freshTool", k: 1).first?.id == "fresh_tool")
    }

    @Test func damagedFilesAreTypedErrors() throws {
        var index = try LexicalIndex(fields: LexicalIndexTests.fields)
        try index.add(["send_invoice", "Send an invoice by email.", "customerId amount"], id: "send_invoice")
        try index.add(["cancel_subscription", "Cancel a subscription for good.", "userId"], id: 7)
        let path = try temporaryPath("small.glex")
        try index.save(to: path)
        try expectDamagedCopiesRefused(of: path, flips: 500, seed: 11) { path throws(IndexError) in _ = try LexicalIndex.load(from: path) }
    }

    /// Files whose checksums are right but whose contents contradict themselves — as a writer
    /// with a defect, or a crafted file, would make them — are refused, before any allocation
    /// their counts ask for.
    @Test func inconsistentContentsAreRefused() throws {
        let envelope = FileEnvelope(magic: "GNTRYLEX", name: "lexical index", versions: 1...1)
        func file(documents: UInt64 = 1, terms: UInt64 = 1, lengths: [UInt32] = [1], postings: [(String, [Int32], [UInt16])] = [("x", [0], [1])])
            -> [UInt8] {
            var payload = BinaryWriter()
            for i in 0..<min(documents, 4) { payload.append(UInt8(0)); payload.append(Int64(i)) }
            for length in lengths { payload.append(length) }
            for (term, slots, counts) in postings {
                payload.append(term)
                payload.append(UInt32(slots.count))
                for slot in slots { payload.append(slot) }
                for count in counts { payload.append(count) }
            }
            return envelope.encode(header: { writer in
                writer.append(Float(1.2))
                writer.append(UInt16(1))
                writer.append("text")
                writer.append(Float(1))
                writer.append(Float(0.75))
                writer.append(documents)
                writer.append(terms)
            }, payload: payload.bytes)
        }
        let path = try temporaryPath("crafted.glex")
        try Data(file()).write(to: URL(fileURLWithPath: path))
        #expect(try LexicalIndex.load(from: path).search("x", k: 1).first?.id == 0)  // the well-formed one loads
        let cases: [(String, [UInt8])] = [
            ("a document count the file cannot hold", file(documents: UInt64.max)),
            ("a term count the file cannot hold", file(terms: 1 << 40)),
            ("a posting past the documents", file(postings: [("x", [1], [1])])),
            ("postings out of order", file(documents: 2, lengths: [1, 1], postings: [("x", [1, 0], [1, 1])])),
            ("a posting counting nothing", file(lengths: [0], postings: [("x", [0], [0])])),
            ("more terms than the field's length", file(lengths: [1], postings: [("x", [0], [2])])),
            ("fewer terms than the field's length", file(lengths: [3], postings: [("x", [0], [1])])),
            ("a term twice", file(terms: 2, lengths: [2], postings: [("x", [0], [1]), ("x", [0], [1])])),
            ("an empty term", file(postings: [("", [0], [1])])),
            ("more postings than documents", file(postings: [("x", [0, 0], [1, 1])])),
        ]
        for (name, bytes) in cases {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            #expect(throws: IndexError.self, "\(name)") { try LexicalIndex.load(from: path) }
        }
    }
}
