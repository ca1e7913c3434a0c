import Foundation
import GantryIO

/// Retrieval records and reports in the portable event log, after the events
/// (`AgentGantry.exportEvents(includingRetrievals:)`):
/// - `{"kind":"retrieval_query","key":K,"model":M,"query":Q | "query_terms":[…],"query_vector":[…]}`
///   once per distinct query (K: 16 hexadecimal digits, naming it within the log only);
/// - `{"kind":"retrieval","id":ID,"at":…,"user":…,"team":…,"session":…,"query_key":K,"shortlist":[{"tool":…,"score":…}],"swapped":R}`
///   (`swapped` only for a retrieval that exploration reordered: `RetrievalRecord.swappedRank`);
/// - `{"kind":"report","retrieval":ID,"at":…,"tool":…,"signal":…,"user":…,"team":…,"session":…}`.
/// The event lines' readers (`EventLog.decode`) skip these kinds.
extension EventLog {
    /// The kinds of retrieval lines.
    static let retrievalKinds: Set<String> = ["retrieval_query", "retrieval", "report"]

    /// One retrieval line, every field optional (which ones a kind needs is checked on decoding).
    struct RetrievalLine: Codable {
        struct Shown: Codable {
            var tool: String
            var score: Float
        }

        var kind: String
        var key: String?
        var model: String?
        var query: String?
        var queryTerms: [String]?
        var queryVector: [Float]?
        var id: RetrievalID?
        var at: Double?
        var user: String?, team: String?, session: String?
        var queryKey: String?
        var shortlist: [Shown]?
        var swapped: Int?
        var retrieval: RetrievalID?
        var tool: String?
        var signal: String?
    }

    /// `records` and `reports` as lines, queries first (once each), then records by id, then reports.
    static func encode(records: [RetrievalRecord], reports: [RetrievalReport]) throws(GantryError) -> String {
        let encoder = Line.makeEncoder()
        var lines = [RetrievalLine](), keys = [Int64: String]()
        var recordLines = [RetrievalLine]()
        for record in records.sorted(by: { $0.id < $1.id }) {
            let half = StoredRetrieval.halfData(record.queryVector)
            let key = StoredRetrieval.queryKey(model: record.model, halfVector: half, query: record.query, terms: record.queryTerms)
            let name: String
            if let known = keys[key] {
                name = known
            } else {
                name = StoredTerms.hexadecimal([UInt64(key)])[0]
                keys[key] = name
                lines.append(RetrievalLine(kind: "retrieval_query", key: name, model: record.model, query: record.query,
                                           queryTerms: record.queryTerms.map(StoredTerms.hexadecimal), queryVector: record.queryVector))
            }
            recordLines.append(RetrievalLine(kind: "retrieval", id: record.id, at: record.at.timeIntervalSince1970, user: record.user,
                                             team: record.team, session: record.session, queryKey: name,
                                             shortlist: record.shortlist.map { RetrievalLine.Shown(tool: $0.tool, score: $0.score) },
                                             swapped: record.swappedRank))
        }
        lines += recordLines
        lines += reports.map { report in
            RetrievalLine(kind: "report", at: report.at.timeIntervalSince1970, user: report.user, team: report.team, session: report.session,
                          retrieval: report.retrieval, tool: report.tool, signal: report.signal.rawValue)
        }
        var text = ""
        for line in lines {
            guard let json = try? encoder.encode(line) else { throw .store("a retrieval record holds a value JSON cannot carry (NaN or infinity)") }
            text += String(decoding: json, as: UTF8.self) + "\n"
        }
        return text
    }

    /// The retrieval records and reports of `text`, validated as `decode` validates events
    /// (names, times, tools among `knownTools`, vectors of `dimension` finite values, query text
    /// redacted on the way in, terms, signals, every query key defined before use); event lines
    /// are skipped. Records keep the ids of the log: the importer gives them new ones.
    @_spi(StoreImplementation) public static func retrievals(of text: String, dimension: Int, knownTools: Set<String>)
        throws(GantryError) -> (records: [RetrievalRecord], reports: [RetrievalReport])
    {
        let decoder = Line.makeDecoder()
        var queries = [String: (model: String, query: String?, terms: [UInt64]?, vector: [Float])]()
        var records = [RetrievalRecord](), reports = [RetrievalReport]()
        for line in JSONLines.lines(of: Array(text.utf8)) {
            func fail(_ reason: String) -> GantryError { .invalidInput("events line \(line.number): \(reason)") }
            let bytes = Data(line.bytes)
            guard let e = try? decoder.decode(RetrievalLine.self, from: bytes) else {
                // An event line may not decode as one; a retrieval line must.
                if let kind = try? decoder.decode(Kind.self, from: bytes).kind, retrievalKinds.contains(kind) { throw fail("not a \(kind) object") }
                continue
            }
            let kind = e.kind
            guard retrievalKinds.contains(kind) else { continue }
            let user: String?, team: String?, session: String?
            do {
                user = try Limits.name(e.user, "user")
                team = try Limits.name(e.team, "team")
                session = try Limits.name(e.session, "session")
            } catch {
                throw fail(error.description)
            }
            func time() throws(GantryError) -> Date {
                guard let at = e.at, at.isFinite, abs(at) < 1e11 else { throw fail("\"at\" must be a time in Unix seconds") }
                return Date(timeIntervalSince1970: at)
            }
            func tool(_ name: String?) throws(GantryError) -> String {
                let checked: String
                do { checked = try Limits.toolName(name ?? "") } catch { throw fail(error.description) }
                guard knownTools.contains(checked) else { throw fail("tool \"\(excerpt(checked))\" is not registered") }
                return checked
            }
            switch kind {
            case "retrieval_query":
                guard let key = e.key, StoredTerms.hashes(hexadecimal: [key]) != nil else { throw fail("key must be 16 lowercase hexadecimal digits") }
                let model: String?
                do { model = try Limits.name(e.model, "model") } catch { throw fail(error.description) }
                guard let model else { throw fail("model must name the model that embedded the query") }
                let (vector, terms) = try checkQuery(e.query, terms: e.queryTerms, vector: e.queryVector, dimension: dimension, fail)
                // Kept in half precision: every value within its range, and not all rounding to zero.
                guard vector.allSatisfy({ abs($0) <= StoredRetrieval.halfMaximum }), StoredRetrieval.rounded(vector).contains(where: { $0 != 0 }) else {
                    throw fail("query_vector values must be within ±\(Int(StoredRetrieval.halfMaximum)), not all rounding to zero in half precision")
                }
                queries[key] = (model, e.query.map(Redaction.redact), terms, vector)
            case "retrieval":
                guard let id = e.id else { throw fail("id must be a retrieval id (16 hexadecimal digits)") }
                guard let key = e.queryKey, let query = queries[key] else { throw fail("query_key must name a retrieval_query line above it") }
                guard let shortlist = e.shortlist, (1...100).contains(shortlist.count) else { throw fail("shortlist must hold 1 to 100 tools") }
                var shown = [RetrievalRecord.Shown]()
                for entry in shortlist {
                    guard entry.score.isFinite, abs(entry.score) <= StoredRetrieval.halfMaximum else {
                        throw fail("shortlist scores must be finite and within ±\(Int(StoredRetrieval.halfMaximum))")
                    }
                    shown.append(RetrievalRecord.Shown(tool: try tool(entry.tool), score: entry.score))
                }
                if let swapped = e.swapped, StoredRetrieval.swappedRank(swapped, shortlist: shown.count) == nil {
                    throw fail(shown.count < 3 ? "swapped needs a shortlist of at least 3 tools (exploration never moves the first)"
                               : "swapped must be a rank from 1 to \(shown.count - 2): the first of two neighbouring tools below the first")
                }
                records.append(RetrievalRecord(id: id, at: try time(), user: user, team: team, session: session, query: query.query,
                                               queryTerms: query.terms, queryVector: query.vector, model: query.model, shortlist: shown,
                                               swappedRank: e.swapped))
            default:
                guard let retrieval = e.retrieval else { throw fail("retrieval must be a retrieval id (16 hexadecimal digits)") }
                guard let signal = e.signal.flatMap(RetrievalReport.Signal.init(rawValue:)) else {
                    throw fail("signal must be one of \(RetrievalReport.Signal.allCases.map(\.rawValue))")
                }
                reports.append(RetrievalReport(id: 0, at: try time(), retrieval: retrieval, tool: try tool(e.tool), signal: signal,
                                               user: user, team: team, session: session))
            }
        }
        return (records, reports)
    }

    /// A line's kind alone.
    struct Kind: Decodable {
        var kind: String
    }
}
