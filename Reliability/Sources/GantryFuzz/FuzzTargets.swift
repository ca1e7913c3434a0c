// One fuzz target per loader of outside bytes. Each takes arbitrary bytes, must never crash,
// hang or allocate without bound (run.sh caps single allocations with -malloc_limit_mb), and
// checks what a successful load promises (a loaded index answers searches, an adapter adapts,
// a decoded event log re-encodes to the same events, token ids stay in the vocabulary).
import AgentGantry
import Foundation
import GantryAdapt
import GantryEmbed
import GantryEval
import GantryIndex
import GantryIO
import GantryMath

enum FuzzTarget: String, CaseIterable {
    case npy, safetensors, vocabulary, tokenizer, index, lexical, adapter, dataset, events, tool, store

    /// Runs one input; true when it loaded (a valid input), false when it was refused.
    @discardableResult
    func run(_ bytes: [UInt8]) -> Bool {
        switch self {
        case .npy: fuzzNPY(bytes)
        case .safetensors: fuzzSafeTensors(bytes)
        case .vocabulary: fuzzVocabulary(bytes)
        case .tokenizer: fuzzTokenizer(bytes)
        case .index: fuzzIndex(bytes)
        case .lexical: fuzzLexical(bytes)
        case .adapter: fuzzAdapter(bytes)
        case .dataset: fuzzDataset(bytes)
        case .events: fuzzEvents(bytes)
        case .tool: fuzzTool(bytes)
        case .store: fuzzStore(bytes)
        }
    }
}

/// A per-process scratch folder (tmpfs when there is one) for loaders that read paths.
let scratch: String = {
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let path = "\(base)/gantry-fuzz-\(getpid())"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: "\(FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory())/gantry-fuzz-\(getpid())") }
    return path
}()

/// Writes `bytes` to `path` (plain write: these files are scratch).
func put(_ bytes: some Collection<UInt8>, _ path: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { fatalError("cannot write \(path)") }
    Array(bytes).withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            guard written > 0 else { fatalError("cannot write \(path)") }
            offset += written
        }
    }
    close(fd)
}

/// Fails the run (libFuzzer records the input) when a promise of a successful load is broken.
func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("broken promise: \(message())") }
}

func fuzzNPY(_ bytes: [UInt8]) -> Bool {
    guard let array = try? NPYFile.decode(bytes, path: "fuzz.npy") else { return false }
    require(array.values.count == array.rows * array.cols, "npy values vs shape")
    // What loaded must write back and load to the same values.
    let again = try? NPYFile.decode(NPYFile.encode(array), path: "again.npy")
    require(again.map { ($0.rows, $0.cols) } ?? (-1, -1) == (array.rows, array.cols)
            && again!.values.elementsEqual(array.values) { $0.bitPattern == $1.bitPattern },
            "npy round trip")
    return true
}

func fuzzSafeTensors(_ bytes: [UInt8]) -> Bool {
    let path = scratch + "/model.safetensors"
    put(bytes, path)
    guard let file = try? SafeTensors(path: path) else { return false }
    var sum: Float = 0
    for (name, entry) in file.entries where entry.dtype == "F32" {
        guard let values = try? file.floats(name, shape: entry.shape) else { continue }
        require(values.count == entry.shape.reduce(1, *), "safetensors \(name) size")
        for value in values { sum += value }  // every byte of every tensor is readable
    }
    _ = sum
    return true
}

/// A tiny vocabulary for when the real one is absent.
let smallVocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "cancel", "my", "sub", "##scription", "##s", "é", "!", "你"]

let tokenizer: WordPieceTokenizer = {
    let real = (try? ModelLocator.locate()).flatMap { try? WordPieceTokenizer(vocabularyFile: $0 + "/vocab.txt") }
    if let real { return real }
    let vocabulary = Dictionary(uniqueKeysWithValues: smallVocabulary.enumerated().map { ($1, Int32($0)) })
    return try! WordPieceTokenizer(vocabulary: vocabulary)
}()

let tokenizerIDs = Set(tokenizer.vocabulary.values)

func fuzzTokenizer(_ bytes: [UInt8]) -> Bool {
    // Arbitrary bytes, invalid UTF-8 included: repaired to U+FFFD as String(decoding:) does.
    let ids = tokenizer.encode(String(decoding: bytes, as: UTF8.self))
    require(ids.count >= 2 && ids.count <= tokenizer.maxLength, "token count \(ids.count)")
    require(ids.first == tokenizer.classID && ids.last == tokenizer.separatorID, "[CLS] … [SEP]")
    require(ids.allSatisfy(tokenizerIDs.contains), "token ids inside the vocabulary")
    return true
}

func fuzzVocabulary(_ bytes: [UInt8]) -> Bool {
    let path = scratch + "/vocab.txt"
    put(bytes, path)
    guard let loaded = try? WordPieceTokenizer(vocabularyFile: path) else { return false }
    let ids = loaded.encode("cancel my subscriptions! 你好 é")
    require(ids.count >= 2 && ids.first == loaded.classID && ids.last == loaded.separatorID, "tokenizer from a fuzzed vocabulary")
    return true
}

func fuzzIndex(_ bytes: [UInt8]) -> Bool {
    let path = scratch + "/tools.gidx"
    put(bytes, path)
    guard let index = try? IndexFile.load(from: path) else { return false }
    // A loaded index must answer: every stored link was verified.
    let query = [Float](repeating: 1, count: index.dimension)
    guard let hits = try? index.search(query, k: 5, filter: nil) else { fatalError("a loaded index refused a search") }
    require(hits.count <= min(5, index.count), "search returned \(hits.count) of \(index.count)")
    return true
}

func fuzzLexical(_ bytes: [UInt8]) -> Bool {
    let path = scratch + "/tools.glex"
    put(bytes, path)
    guard var index = try? LexicalIndex.load(from: path) else { return false }
    // A loaded index must answer, take new documents and write itself back equal.
    guard let hits = try? index.search("send an invoice to the customer", k: 5) else { fatalError("a loaded lexical index refused a search") }
    require(hits.count <= min(5, index.count), "search returned \(hits.count) of \(index.count)")
    let again = scratch + "/again.glex"
    require((try? index.save(to: again)) != nil, "a loaded lexical index did not save")
    require((try? LexicalIndex.load(from: again))?.count == index.count, "a saved lexical index did not load back")
    let id = VectorID.name("fuzz-added-\(index.count)")
    if !index.contains(id) {
        require((try? index.add(Array(repeating: "fresh words", count: index.fields.count), id: id)) != nil, "a loaded lexical index refused a document")
    }
    return true
}

func fuzzAdapter(_ bytes: [UInt8]) -> Bool {
    guard let (adapter, _) = try? AdapterFile.decode(bytes, source: "fuzz.gadp") else { return false }
    let x = [Float](repeating: 1 / Float(adapter.dimension).squareRoot(), count: adapter.dimension)
    guard let y = try? adapter.adaptQuery(x) else { return false }
    require(y.count == adapter.dimension, "adapted length")
    return true
}

/// The bytes split at 0x1E (record separator) into tools.jsonl, queries.jsonl and feedback.jsonl,
/// with .npy files of as many rows as each has non-blank lines, so valid inputs load.
func fuzzDataset(_ bytes: [UInt8]) -> Bool {
    let folder = scratch + "/dataset"
    try? FileManager.default.removeItem(atPath: folder)
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let parts = bytes.split(separator: 0x1E, maxSplits: 2, omittingEmptySubsequences: false)
    func rows(_ part: ArraySlice<UInt8>) -> Int {
        part.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .filter { !$0.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D } }.count
    }
    let tools = parts[0], queries = parts.count > 1 ? parts[1] : []
    put(tools, folder + "/tools.jsonl")
    put(queries, folder + "/queries.jsonl")
    if parts.count > 2 { put(parts[2], folder + "/feedback.jsonl") }
    for (name, count) in [("tools", rows(tools)), ("queries", rows(queries))] {
        var matrix = Matrix(rows: count, cols: 4)
        for r in 0..<count { matrix[r, r % 4] = 1 }
        put(NPYFile.encode(matrix), "\(folder)/\(name).npy")
    }
    guard let dataset = try? RetrievalDataset.load(directory: folder) else { return false }
    require(dataset.queries.allSatisfy { !$0.tools.isEmpty && $0.tools.allSatisfy { dataset.tools.indices.contains($0) } }, "labels in range")
    return true
}

let eventDimension = 4
let eventTools: Set<String> = ["cancel_subscription", "pause_subscription", "slack_notify"]

func fuzzEvents(_ bytes: [UInt8]) -> Bool {
    guard let (feedback, executions) = try? EventLog.decode(String(decoding: bytes, as: UTF8.self), dimension: eventDimension,
                                                           knownTools: eventTools) else { return false }
    // A valid log re-encodes and decodes to the same events (ids are assigned by the store).
    let text: String
    do { text = try EventLog.encode(feedback: feedback, executions: executions) } catch { fatalError("valid events did not encode: \(error)") }
    guard let again = try? EventLog.decode(text, dimension: eventDimension, knownTools: eventTools) else {
        fatalError("encoded events did not decode:\n\(text)")
    }
    require(again.feedback.count == feedback.count && again.executions.count == executions.count, "event round trip counts")
    require(zip(again.executions, executions).allSatisfy { $0.tool == $1.tool && $0.outcome == $1.outcome }, "event round trip content")
    return true
}

func fuzzTool(_ bytes: [UInt8]) -> Bool {
    guard let tool = try? JSONDecoder().decode(Tool.self, from: Data(bytes)) else { return false }
    guard (try? tool.validate()) != nil else { return false }
    require(!tool.embeddingText.isEmpty && !tool.fingerprint.isEmpty, "tool texts")
    _ = tool.openAIFunction.canonicalText
    _ = tool.anthropicTool.canonicalText
    return true
}

/// The few texts the store target's gantry embeds: tool texts and the intent phrases go
/// through a seeded stand-in (the store target is about reading files, not about vectors).
struct StandInEmbedder: Embedder {
    let dimension = eventDimension
    let modelIdentity = "fuzz"

    func embed(_ texts: [String]) throws -> Matrix {
        var matrix = Matrix(rows: texts.count, cols: dimension)
        for (row, text) in texts.enumerated() {
            var rng = SplitMix64(seed: text.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 })  // FNV-1a
            for c in 0..<dimension { matrix[row, c] = rng.nextGaussian() }
        }
        return matrix
    }
}

/// An AgentGantry opened on the bytes as its SQLite store: every table is read and folded into
/// the learned state. A store that opens must answer a query or report damage as a store error.
func fuzzStore(_ bytes: [UInt8]) -> Bool {
    let path = scratch + "/store/gantry.sqlite"
    try? FileManager.default.removeItem(atPath: scratch + "/store")
    try? FileManager.default.createDirectory(atPath: scratch + "/store", withIntermediateDirectories: true)
    put(bytes, path)
    let semaphore = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var opened = false
    Task {
        defer { semaphore.signal() }
        guard let gantry = try? await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: StandInEmbedder()) else { return }
        opened = true
        if await !gantry.tools.isEmpty {
            // Damage SQLite finds only when a page is used (quick_check passed) may surface here,
            // as a store error; any other refusal breaks the promise.
            do { _ = try await gantry.retrieveTools("cancel my subscription", limit: 3) } catch {
                guard case .store? = error as? GantryError else { fatalError("an opened store refused a query: \(error)") }
            }
        }
        _ = try? await gantry.exportEvents()
    }
    semaphore.wait()
    return opened
}
