import AgentGantry
import Foundation
import GantryAdapt
import GantryIO
import GantryMath

/// The facade's tool type (inside `RetrievalDataset`, `Tool` names the dataset's own).
typealias RegisteredTool = Tool

/// A tool-retrieval dataset folder: `tools.jsonl`, `queries.jsonl` (with `split`), their
/// embeddings `tools.npy` / `queries.npy` (row i = line i), and optionally `feedback.jsonl`
/// (explicit corrections: `{"query": text, "wrong": tool id, "correct": tool id}`).
///
/// Everything is validated on load: every label names a tool of the catalog, ids are unique,
/// the `.npy` row counts match the files, vectors are finite and unit length, the splits are not
/// empty. Errors name the file and the line (or row).
public struct RetrievalDataset: Sendable {
    /// A tool of the catalog, as `tools.jsonl` describes it.
    public struct Tool: Sendable, Equatable {
        /// The id queries name it by (unique in the dataset).
        public var id: String
        /// The name its embedded text starts with (the id when the line has none).
        public var name: String
        /// What the tool does: the text embedded after its name.
        public var description: String
        /// Labels, passed on to the registered `AgentGantry` tool (not embedded).
        public var tags: [String]
        /// Property names of the tool's JSON-Schema `parameters`, sorted.
        public var parameterNames: [String]

        /// A catalog entry (`parameterNames` are sorted here).
        public init(id: String, name: String, description: String, tags: [String] = [], parameterNames: [String] = []) {
            self.id = id
            self.name = name
            self.description = description
            self.tags = tags
            self.parameterNames = parameterNames.sorted()
        }

        /// The text embedded for this tool (`Tool.embeddingText`, the rule registered tools follow).
        public var text: String { RegisteredTool.embeddingText(name: name, description: description, parameterNames: parameterNames) }
    }

    /// Which side of the train/test split a query is on.
    public enum Split: String, Sendable {
        /// Queries the adapter (and the baselines) may learn from (`"split": "train"`).
        case train
        /// Queries held out for measuring (`"split": "test"`).
        case test
    }

    /// A labelled query, as `queries.jsonl` describes it.
    public struct Query: Sendable, Equatable {
        /// The query's id (`"line N"` when its line has none).
        public var id: String
        /// The request as a user would type it.
        public var text: String
        /// Indices into `tools` of the correct tools (at least one).
        public var tools: [Int]
        /// Which side of the train/test split the query is on.
        public var split: Split

        /// A labelled query (checked when a dataset is made from it).
        public init(id: String, text: String, tools: [Int], split: Split) {
            self.id = id
            self.text = text
            self.tools = tools
            self.split = split
        }
    }

    /// An explicit correction: for `query`, `wrong` was chosen and `correct` was right.
    public struct Correction: Sendable, Equatable {
        /// The query's text. When it equals a training query's text, `wrong` becomes an explicit
        /// negative of that query; otherwise it needs embedding first (`TrainingSet.unmatchedCorrections`).
        public var query: String
        /// The index in `tools` of the tool chosen wrongly: an explicit negative in training.
        public var wrong: Int
        /// The index in `tools` of the right tool.
        public var correct: Int

        /// A correction of `query`.
        public init(query: String, wrong: Int, correct: Int) {
            self.query = query
            self.wrong = wrong
            self.correct = correct
        }
    }

    /// The dataset's name: its folder's name when loaded.
    public var name: String
    /// The catalog, in `tools.jsonl` order (row i of `toolVectors` embeds tool i).
    public var tools: [Tool]
    /// The labelled queries, in `queries.jsonl` order (row i of `queryVectors` embeds query i).
    public var queries: [Query]
    /// The explicit corrections of `feedback.jsonl` (empty when there is none).
    public var corrections: [Correction]
    /// Unit rows, one per tool (`tools.npy`).
    public var toolVectors: Matrix
    /// Unit rows, one per query (`queries.npy`).
    public var queryVectors: Matrix
    /// Identity of the model that made the vectors: `embeddings.json`'s `model` when the folder
    /// has one, else all-MiniLM-L6-v2.
    public var embeddingModel = RetrievalDataset.defaultEmbeddingModel

    /// The model of a dataset folder without `embeddings.json`.
    public static let defaultEmbeddingModel = "sentence-transformers/all-MiniLM-L6-v2"

    /// Where the index of a tool id is.
    public var toolIndex: [String: Int] {
        Dictionary(tools.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// A dataset from its parts, validated as `load(directory:)` validates a folder: at least one
    /// tool, one vector row per tool and per query of one dimension, finite unit rows (norm within
    /// 1e-3 of 1), every query labelled with tools of the catalog. Throws `AdaptError.dataset`
    /// naming the row or query at fault. (Unlike `load`, it accepts an empty split.)
    public init(name: String, tools: [Tool], queries: [Query], corrections: [Correction] = [],
                toolVectors: Matrix, queryVectors: Matrix) throws(AdaptError) {
        guard !tools.isEmpty else { throw .dataset(location: name, reason: "the catalog has no tools") }
        guard toolVectors.rows == tools.count, queryVectors.rows == queries.count,
              toolVectors.cols == queryVectors.cols, toolVectors.cols > 0 else {
            throw .dataset(location: name, reason: "vectors (\(toolVectors.shape) tools, \(queryVectors.shape) queries) do not match "
                + "\(tools.count) tools and \(queries.count) queries of one dimension")
        }
        for (label, matrix) in [("tools", toolVectors), ("queries", queryVectors)] {
            if let bad = matrix.firstNonFinite() {
                throw .dataset(location: "\(name)/\(label).npy row \(bad.row)", reason: "non-finite value in column \(bad.col)")
            }
            for (row, norm) in matrix.rowNorms().enumerated() where abs(norm - 1) > 1e-3 {
                throw .dataset(location: "\(name)/\(label).npy row \(row)", reason: "norm \(norm); embeddings must be unit length")
            }
        }
        for query in queries where query.tools.isEmpty || query.tools.contains(where: { !tools.indices.contains($0) }) {
            throw .dataset(location: "\(name) query \(query.id)", reason: "labels must name at least one tool of the catalog")
        }
        self.name = name
        self.tools = tools
        self.queries = queries
        self.corrections = corrections
        self.toolVectors = toolVectors
        self.queryVectors = queryVectors
    }

    /// The dimension of the embeddings.
    public var dimension: Int { toolVectors.cols }

    /// Indices of the queries of `split`.
    public func indices(of split: Split) -> [Int] { queries.indices.filter { queries[$0].split == split } }

    /// Loads a dataset folder (see the type's description).
    public static func load(directory: String) throws(AdaptError) -> RetrievalDataset {
        let name = URL(fileURLWithPath: directory).lastPathComponent
        let toolLines = try jsonLines(directory + "/tools.jsonl")
        var tools = [Tool]()
        var seen = [String: Int]()
        for (line, object) in toolLines {
            let location = "\(directory)/tools.jsonl:\(line)"
            guard let id = object["id"] as? String, !id.isEmpty else { throw .dataset(location: location, reason: "no string \"id\"") }
            guard seen[id] == nil else { throw .dataset(location: location, reason: "duplicate tool id \"\(id)\"") }
            seen[id] = tools.count
            let properties = (object["parameters"] as? [String: Any])?["properties"] as? [String: Any]
            tools.append(Tool(id: id, name: object["name"] as? String ?? id, description: object["description"] as? String ?? "",
                              tags: object["tags"] as? [String] ?? [], parameterNames: properties.map { Array($0.keys) } ?? []))
        }
        var queries = [Query]()
        for (line, object) in try jsonLines(directory + "/queries.jsonl") {
            let location = "\(directory)/queries.jsonl:\(line)"
            guard let text = object["text"] as? String else { throw .dataset(location: location, reason: "no string \"text\"") }
            guard let labels = object["tools"] as? [String], !labels.isEmpty else {
                throw .dataset(location: location, reason: "\"tools\" must be a non-empty list of tool ids")
            }
            var indices = [Int]()
            for label in labels {
                guard let index = seen[label] else { throw .dataset(location: location, reason: "unknown tool id \"\(label)\"") }
                if !indices.contains(index) { indices.append(index) }
            }
            guard let splitName = object["split"] as? String, let split = Split(rawValue: splitName) else {
                throw .dataset(location: location, reason: "\"split\" must be \"train\" or \"test\"")
            }
            queries.append(Query(id: object["id"] as? String ?? "line \(line)", text: text, tools: indices, split: split))
        }
        var corrections = [Correction]()
        let feedbackPath = directory + "/feedback.jsonl"
        if FileManager.default.fileExists(atPath: feedbackPath) {
            for (line, object) in try jsonLines(feedbackPath) {
                let location = "\(feedbackPath):\(line)"
                guard let query = object["query"] as? String, let wrong = object["wrong"] as? String,
                      let correct = object["correct"] as? String else {
                    throw .dataset(location: location, reason: "needs string fields \"query\", \"wrong\" and \"correct\"")
                }
                guard let w = seen[wrong] else { throw .dataset(location: location, reason: "unknown tool id \"\(wrong)\"") }
                guard let c = seen[correct] else { throw .dataset(location: location, reason: "unknown tool id \"\(correct)\"") }
                corrections.append(Correction(query: query, wrong: w, correct: c))
            }
        }
        let toolVectors = try vectors(directory + "/tools.npy", rows: tools.count)
        let queryVectors = try vectors(directory + "/queries.npy", rows: queries.count)
        guard toolVectors.cols == queryVectors.cols else {
            throw .dataset(location: directory, reason: "tools.npy has \(toolVectors.cols) columns but queries.npy \(queryVectors.cols)")
        }
        var dataset = try RetrievalDataset(name: name, tools: tools, queries: queries, corrections: corrections,
                                           toolVectors: toolVectors, queryVectors: queryVectors)
        if let data = FileManager.default.contents(atPath: directory + "/embeddings.json"),
           let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let model = object["model"] as? String {
            dataset.embeddingModel = model
        }
        for split in [Split.train, .test] where dataset.indices(of: split).isEmpty {
            throw .dataset(location: directory + "/queries.jsonl", reason: "no \(split.rawValue) queries")
        }
        return dataset
    }

    /// The tool texts an encoder embeds for this catalog (`Tool.embeddingText`).
    public var toolTexts: [String] { tools.map(\.text) }

    private static func vectors(_ path: String, rows: Int) throws(AdaptError) -> Matrix {
        let matrix: Matrix
        do {
            matrix = Matrix(try NPYFile.read(path))
        } catch {
            throw .file(error)
        }
        guard matrix.rows == rows else {
            throw .dataset(location: path, reason: "\(matrix.rows) rows but the JSONL file beside it has \(rows) lines; row i must embed line i")
        }
        return matrix
    }

    /// Non-blank lines of a JSONL file as objects, with 1-based line numbers.
    static func jsonLines(_ path: String) throws(AdaptError) -> [(line: Int, object: [String: Any])] {
        let data: [UInt8]
        do { data = try BinaryFile.read(path) } catch { throw .file(error) }
        var result = [(line: Int, object: [String: Any])]()
        for line in JSONLines.lines(of: data) {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.bytes))) as? [String: Any] else {
                throw .dataset(location: "\(path):\(line.number)", reason: "not a JSON object")
            }
            result.append((line.number, object))
        }
        return result
    }
}
