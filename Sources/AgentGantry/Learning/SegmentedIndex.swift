import GantryIndex
import GantryMath

/// Unit vectors with a payload each, searched by inner product, kept so that copies share almost
/// all of it: rows are appended to a small tail; a full tail (1,024 rows) is sealed and never
/// written again except to update a payload (which copies that segment's payloads only). A
/// snapshot taken before an append keeps reading what it had while the copy being written copies
/// at most the tail.
///
/// The sealed rows are also searched through one HNSW graph, built and extended off the writer
/// by whoever maintains the index (`graphJob()`, then `install(_:)`): a search walks the graph
/// for the rows it covers (every sealed row, once the maintainer has caught up) and scans the
/// rest exactly, so its cost stays about that of a graph search plus a scan of at most a few
/// thousand rows, whatever the count. A segment the graph covers keeps its payloads and gives
/// up its own copy of the vectors (the graph holds them).
struct SegmentedIndex<Payload: Sendable>: Sendable {
    /// Where a row is: its segment (`sealed.count` is the tail) and its row there.
    struct Location: Sendable, Hashable {
        var segment: Int
        var row: Int
    }

    struct Segment: Sendable {
        /// The rows' vectors; empty once the graph covers the segment.
        var index: FlatIndex
        var payloads: [Payload] = []
    }

    /// Rows in a sealed segment.
    static var segmentRows: Int { 1024 }

    let dimension: Int
    private(set) var sealed: [Segment] = []
    private(set) var tail: Segment
    /// Rows in all segments.
    private(set) var count = 0
    /// A graph of the first `graph.count` rows (ids: their ordinals), whole sealed segments.
    private(set) var graph: HNSWIndex?
    /// Which index a `SegmentGraphJob` was made for: copies share it, and rows are only ever
    /// appended, so a graph built from a copy's rows fits the rows of any later copy.
    private let lineage = Lineage()

    /// An index without rows, for new tails and for the segments the graph covers.
    private let noRows: FlatIndex

    init(dimension: Int) throws(GantryError) {
        self.dimension = dimension
        do { noRows = try FlatIndex(dimension: dimension, metric: .innerProduct) } catch { throw .index(error) }
        tail = Segment(index: noRows)
    }

    /// Rows the graph covers (the first ones appended).
    var graphRows: Int { graph?.count ?? 0 }

    /// Appends a unit vector with its payload; returns where it went.
    @discardableResult
    mutating func append(_ unit: [Float], _ payload: Payload) throws(GantryError) -> Location {
        let location = Location(segment: sealed.count, row: tail.payloads.count)
        do { try tail.index.add(unit, id: .number(Int64(location.row))) } catch { throw .index(error) }
        tail.payloads.append(payload)
        count += 1
        if tail.payloads.count == Self.segmentRows {
            sealed.append(tail)
            tail = Segment(index: noRows)
        }
        return location
    }

    /// The `k` rows of highest inner product with `q` (unit), best first: through the graph for
    /// the rows it covers (`SegmentGraphJob.efSearch` candidates), exactly for the others.
    func search(_ q: [Float], k: Int) throws(GantryError) -> [(score: Float, location: Location)] {
        var hits = [(score: Float, location: Location)]()
        do {
            if let graph {
                for result in try graph.search(q, k: k) {  // ef: SegmentGraphJob.efSearch, at least k
                    guard case .number(let ordinal) = result.id else { continue }
                    hits.append((result.score, location(ofRow: Int(ordinal))))
                }
            }
            for number in (graphRows / Self.segmentRows)...sealed.count {
                let segment = number == sealed.count ? tail : sealed[number]
                guard !segment.payloads.isEmpty else { continue }
                for result in try segment.index.search(q, k: k) {
                    guard case .number(let row) = result.id else { continue }
                    hits.append((result.score, Location(segment: number, row: Int(row))))
                }
            }
        } catch { throw .index(error) }
        return Array(hits.sorted { $0.score > $1.score }.prefix(k))
    }

    /// Where the row appended `ordinal`-th (from 0) is.
    func location(ofRow ordinal: Int) -> Location {
        Location(segment: ordinal / Self.segmentRows, row: ordinal % Self.segmentRows)
    }

    /// The unit vector at `location`.
    func vector(at location: Location) -> [Float] {
        if let graph, location.segment < graphRows / Self.segmentRows {
            return graph.vector(of: .number(Int64(location.segment * Self.segmentRows + location.row)))!
        }
        let segment = location.segment == sealed.count ? tail : sealed[location.segment]
        return segment.index.vector(of: .number(Int64(location.row)))!
    }

    /// The payload at `location`.
    subscript(location: Location) -> Payload {
        get { location.segment == sealed.count ? tail.payloads[location.row] : sealed[location.segment].payloads[location.row] }
        set {
            if location.segment == sealed.count { tail.payloads[location.row] = newValue } else { sealed[location.segment].payloads[location.row] = newValue }
        }
    }

    // MARK: the graph

    /// The graph extended by the sealed rows it does not cover yet; nil when it covers them all.
    func graphJob() -> SegmentGraphJob? {
        let covered = graphRows / Self.segmentRows
        guard covered < sealed.count else { return nil }
        return SegmentGraphJob(lineage: lineage, base: graph, segments: sealed[covered...].map(\.index), dimension: dimension)
    }

    /// Takes a graph built by a `SegmentGraphJob` of this index or of a copy (the segments it
    /// covers drop their vectors); false when it was made for another index, covers no more than
    /// the graph held now, or its last row is not this index's row there (a copy that went
    /// another way).
    mutating func install(_ built: SegmentGraph) -> Bool {
        guard built.lineage === lineage, built.graph.count > graphRows, built.graph.count <= sealed.count * Self.segmentRows else { return false }
        let last = built.graph.count - 1
        guard built.graph.vector(of: .number(Int64(last))) == vector(at: location(ofRow: last)) else { return false }
        for number in (graphRows / Self.segmentRows)..<(built.graph.count / Self.segmentRows) { sealed[number].index = noRows }
        graph = built.graph
        return true
    }
}

/// The identity of a `SegmentedIndex` and its copies.
final class Lineage: Sendable {}

/// Extends a `SegmentedIndex`'s graph by sealed segments (off the writer: the base graph and the
/// segments are shared copies that nothing writes).
struct SegmentGraphJob: Sendable {
    let lineage: Lineage
    /// The graph so far (rows 0..<base.count), nil for none.
    let base: HNSWIndex?
    /// The segments that follow it, in order.
    let segments: [FlatIndex]
    let dimension: Int

    /// The graph's parameters (measured on one AVX2 core: 1,024 rows built in 0.09 s, 8,192 in
    /// 1.8 s; recall of the best 16 at 8,192 rows 0.97 with `efSearch`).
    static let parameters = HNSWIndex.Parameters(m: 16, efConstruction: 100, efSearch: efSearch, seed: 42)
    /// Candidates a search of the graph keeps.
    static let efSearch = 32

    /// The base graph (copied) with the segments' rows inserted, on one thread.
    func build() throws(IndexError) -> SegmentGraph {
        var graph: HNSWIndex
        if let base { graph = base } else { graph = try HNSWIndex(dimension: dimension, metric: .innerProduct, parameters: Self.parameters) }
        let rows = segments.flatMap { segment in (0..<segment.count).map { segment.vector(of: .number(Int64($0)))! } }
        let matrix: Matrix
        do { matrix = try Matrix(rowArrays: rows, cols: dimension) } catch { throw .invalidParameter("segment rows: \(error)") }
        try graph.add(contentsOf: matrix, ids: (graph.count..<graph.count + rows.count).map { .number(Int64($0)) }, threads: 1)
        return SegmentGraph(lineage: lineage, graph: graph)
    }
}

/// A graph built by `SegmentGraphJob.build()`, for `SegmentedIndex.install(_:)`.
struct SegmentGraph: Sendable {
    let lineage: Lineage
    let graph: HNSWIndex
}
