import GantryMath

/// Plain reference implementations in Double, written for the tests only.
enum Reference {
    static func element(_ m: Matrix, _ r: Int, _ c: Int, transposed: Bool) -> Double {
        Double(transposed ? m[c, r] : m[r, c])
    }

    /// op(A)·op(B) in Double.
    static func product(_ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false) -> [[Double]] {
        let m = transposeA ? a.cols : a.rows
        let k = transposeA ? a.rows : a.cols
        let n = transposeB ? b.rows : b.cols
        return (0..<m).map { i in
            (0..<n).map { j in
                (0..<k).reduce(0.0) { $0 + element(a, i, $1, transposed: transposeA) * element(b, $1, j, transposed: transposeB) }
            }
        }
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Double {
        zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }

    /// The top k of a score list by sorting: higher score first, lower index on ties, NaN and
    /// scores below `floor` dropped.
    static func topK(_ scores: [Float], k: Int, atLeast floor: Float = -.infinity) -> [ScoredIndex] {
        scores.enumerated().filter { !$0.element.isNaN && $0.element >= floor }
            .sorted { $0.element != $1.element ? $0.element > $1.element : $0.offset < $1.offset }
            .prefix(k).map { ScoredIndex(index: $0.offset, score: $0.element) }
    }
}

/// max |x − y| over matching elements, relative to max |y| (or absolute when y is ~0).
func relativeError(_ x: Matrix, _ y: [[Double]]) -> Double {
    let flat = y.flatMap { $0 }
    precondition(flat.count == x.values.count, "shape mismatch in test")
    let scale = max(flat.map(abs).max() ?? 0, 1e-30)
    let diff = zip(x.values, flat).map { abs(Double($0) - $1) }.max() ?? 0
    return scale < 1e-12 ? diff : diff / scale
}

func relativeError(_ x: Matrix, _ y: Matrix) -> Double {
    relativeError(x, (0..<y.rows).map { r in y.row(r).map(Double.init) })
}

/// Random vectors and matrices from a seed.
struct TestData {
    var rng: SplitMix64

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func matrix(_ rows: Int, _ cols: Int) -> Matrix {
        Matrix.randomNormal(rows: rows, cols: cols, using: &rng)
    }

    mutating func vector(_ count: Int) -> [Float] {
        (0..<count).map { _ in rng.nextGaussian() }
    }
}

/// Sizes that exercise empty, tiny, odd and SIMD-boundary cases.
let edgeSizes = [0, 1, 2, 3, 7, 15, 16, 17, 31, 33, 63, 64, 65, 100, 129]
