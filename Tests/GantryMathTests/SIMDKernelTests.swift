import Foundation
import GantryIO
import GantryKernels
import GantryMath
import Testing

/// Every test runs each kernel variant this CPU supports, so a plain x86-64 machine, an AVX2
/// one and an AVX-512 one all check the code they would run. Serialised: the variant is global.
@Suite("SIMD kernels", .serialized)
struct SIMDKernelTests {
    /// Held for the whole of each test (see `KernelSwitchLock`).
    private let switching = KernelSwitchLock()
    static let levels: [SIMDLevel] = [.sse, .avx2, .avx512].filter { $0 <= SIMDKernels.bestLevel }

    func forEachLevel(_ body: (SIMDLevel) throws -> Void) rethrows {
        let original = SIMDKernels.activeLevel
        defer { SIMDKernels.select(original) }
        for level in Self.levels {
            #expect(SIMDKernels.select(level))
            #expect(SIMDKernels.activeLevel == level || (level == .avx && SIMDKernels.activeLevel == .sse))
            try body(level)
        }
    }

    @Test func dotAndDistanceMatchReferenceForEveryLength() throws {
        var data = TestData(seed: 20)
        try forEachLevel { level in
            for count in edgeSizes + [127, 128, 383, 384, 385, 1000] {
                let a = data.vector(count), b = data.vector(count)
                let dot = try SIMDKernels.dot(a, b)
                let expected = Reference.dot(a, b)
                #expect(abs(Double(dot) - expected) <= 1e-5 * Double(max(count, 1)), "\(level) n=\(count)")
                let distance = try SIMDKernels.squaredDistance(a, b)
                let expectedDistance = zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
                #expect(abs(Double(distance) - expectedDistance) <= 1e-5 * max(1, expectedDistance), "\(level) n=\(count)")
                #expect(abs(Double(SIMDKernels.norm(a)) - Reference.dot(a, a).squareRoot()) <= 1e-4 * max(1, Double(count)))
            }
        }
    }

    /// Adding masked rows with their summary (sums, squares, block maxima) in one pass equals its
    /// definition for every length, block, number of rows (none: the values only read) and share
    /// of nonzero entries (none, some, all), negative values and partial last blocks included; each
    /// row's values are read exactly once (a planted value past a row's end never counts).
    @Test func addingMaskedRowsWithTheirSummaryMatchesItsDefinition() {
        var data = TestData(seed: 21)
        forEachLevel { level in
            for count in edgeSizes + [127, 128, 1000, 10_007] {
                for (block, rowCount) in [(16, 0), (64, 1), (64, 3), (128, 0), (128, 2), (64, 5), (16, 9)] {
                    let x = data.vector(count), weights = (0..<rowCount).map { _ in Float(data.vector(1)[0]) }
                    // Row t keeps an entry where a Gaussian draw falls within its share: none, ~24%, all, ~4%,
                    // ~68%; rows 1 and 6 are stored dense (every bit set, zeros included), the others by
                    // their nonzero entries.
                    let rows: [[Float]] = (0..<rowCount).map { t in
                        let share = [0, 0.3, Double.infinity, 0.05, 1][t % 5]
                        return data.vector(count).map { abs($0) < Float(share) ? Float(data.vector(1)[0]) + 2 : 0 }
                    }
                    func dense(_ t: Int) -> Bool { t % 5 == 1 }
                    let masks = rows.enumerated().map { t, row in
                        (0..<(count + 15) / 16).map { word in
                            (0..<16).reduce(UInt16(0)) { mask, bit in
                                word * 16 + bit < count && (dense(t) || row[word * 16 + bit] != 0) ? mask | 1 << UInt16(bit) : mask
                            }
                        }
                    }
                    // Each row's values, then a value that must never be read.
                    let values = rows.enumerated().map { t, row in (dense(t) ? row : row.filter { $0 != 0 }) + [1e30] }
                    var result = x
                    let summary = masks.joined().map { $0 }.withUnsafeBufferPointer { flatMasks in
                        values.joined().map { $0 }.withUnsafeBufferPointer { flatValues in
                            var (maskAt, valueAt) = (0, 0)
                            let masked = (0..<rowCount).map { t in
                                defer { (maskAt, valueAt) = (maskAt + masks[t].count, valueAt + values[t].count) }
                                return SIMDKernels.MaskedRow(masks: flatMasks.baseAddress! + maskAt, values: flatValues.baseAddress! + valueAt)
                            }
                            return result.withUnsafeMutableBufferPointer { SIMDKernels.addMaskedRows(masked, weights: weights, to: $0, block: block) }
                        }
                    }
                    let expected = x.indices.map { i in zip(rows, weights).reduce(Double(x[i])) { $0 + Double($1.0[i]) * Double($1.1) } }
                    let context = "\(level) n=\(count) block \(block), \(rowCount) rows"
                    #expect(zip(result, expected).allSatisfy { abs(Double($0) - $1) <= 1e-5 * max(1, abs($1)) }, "\(context)")
                    let sum = result.reduce(0.0) { $0 + Double($1) }, squares = result.reduce(0.0) { $0 + Double($1) * Double($1) }
                    #expect(abs(summary.sum - sum) <= 1e-5 * max(1, Double(count)) && abs(summary.squares - squares) <= 1e-5 * max(1, squares),
                            "\(context)")
                    let maxima = stride(from: 0, to: count, by: block).map { result[$0 ..< min($0 + block, count)].max()! }
                    #expect(summary.blockMaxima == maxima, "\(context)")
                }
            }
        }
    }

    /// The k-th highest equals sorting for every k, with many ties, negative values, ±0 and
    /// infinities, on and off the 16-value blocks.
    @Test func theKthHighestEqualsSorting() {
        var rng = SplitMix64(seed: 8)
        forEachLevel { level in
            for count in [1, 2, 3, 15, 16, 17, 157, 1_000, 3_000] {
                var values = (0..<count).map { _ in Float(Int(rng.next() % 25) - 8) / 4 }  // many ties, some negative
                if count > 4 { values[0 ..< 4] = [-0.0, .infinity, -.infinity, -Float.leastNonzeroMagnitude] }
                let sorted = values.sorted(by: >)
                for k in Set([1, 2, 3, count / 2, count - 1, count].filter { (1...count).contains($0) }) {
                    let found = values.withUnsafeBufferPointer { SIMDKernels.kthHighest($0, k) }
                    #expect(found == sorted[k - 1], "\(level) \(count) values, k \(k): \(found), sorting gives \(sorted[k - 1])")
                }
            }
        }
    }

    /// The packed quadratic form equals xᵀAx in Double, within the bound of its bfloat16 entries
    /// (2⁻⁹ Σ |Aᵢⱼ xᵢ xⱼ|, plus float sums), for sizes on and off the 16-float blocks; entries that
    /// are bfloat16 already come out exact but for the float sums.
    @Test func packedQuadraticFormsMatchTheirDefinition() {
        var data = TestData(seed: 22)
        forEachLevel { level in
            for dimension in [0, 1, 3, 4, 5, 15, 16, 17, 33, 100, 384] {
                let values = data.vector(dimension * dimension), x = data.vector(dimension)
                func entry(_ i: Int, _ j: Int) -> Float { values[min(i, j) * dimension + max(i, j)] }  // symmetric
                let matrix = PackedSymmetricMatrix(dimension: dimension, entry: entry)
                var expected = 0.0, magnitude = 0.0
                for i in 0..<dimension {
                    for j in 0..<dimension {
                        expected += Double(x[i]) * Double(entry(i, j)) * Double(x[j])
                        magnitude += abs(Double(x[i]) * Double(entry(i, j)) * Double(x[j]))
                    }
                }
                #expect(abs(Double(matrix.quadraticForm(x)) - expected) <= (0x1p-9 + 1e-5) * max(1, magnitude), "\(level) d=\(dimension)")
                // The same matrix with every entry a bfloat16 already: only the float sums err.
                func rounded(_ i: Int, _ j: Int) -> Float { Float(bitPattern: entry(i, j).bitPattern & 0xFFFF_0000) }
                var exact = 0.0
                for i in 0..<dimension {
                    for j in 0..<dimension { exact += Double(x[i]) * Double(rounded(i, j)) * Double(x[j]) }
                }
                let roundedMatrix = PackedSymmetricMatrix(dimension: dimension, entry: rounded)
                #expect(abs(Double(roundedMatrix.quadraticForm(x)) - exact) <= 1e-5 * max(1, magnitude), "\(level) d=\(dimension)")
            }
        }
    }

    @Test func slicesAndMismatchedLengths() throws {
        let a: [Float] = [1, 2, 3, 4, 5]
        #expect(try SIMDKernels.dot(a[1..<3], a[3..<5]) == 2 * 4 + 3 * 5)
        #expect(throws: MathError.lengthMismatch(operation: "dot", left: 5, right: 2)) { try SIMDKernels.dot(a, a[0..<2]) }
    }

    @Test func normalizeReportsZeroAndNonFiniteVectors() throws {
        try forEachLevel { _ in
            var x: [Float] = (0..<37).map { Float($0) - 10 }
            try SIMDKernels.normalize(&x)
            #expect(abs(SIMDKernels.norm(x) - 1) < 1e-6)
            var zero = [Float](repeating: 0, count: 17)
            #expect(throws: MathError.cannotNormalize(rows: [0])) { try SIMDKernels.normalize(&zero) }
            #expect(zero.allSatisfy { $0 == 0 })
            var withNaN: [Float] = [1, .nan, 2]
            #expect(throws: MathError.self) { try SIMDKernels.normalize(&withNaN) }
        }
    }

    /// Vectors whose Float sum of squares underflows (to zero, or to subnormals that lose
    /// precision) or overflows to infinity normalize to the unit vector the Double reference
    /// gives; only all-zero and non-finite vectors are refused, untouched.
    @Test func normalizeHandlesTheWholeRangeOfFloat() throws {
        var data = TestData(seed: 23)
        func scaled(_ scale: Float, _ count: Int) -> [Float] { data.vector(count).map { $0 * scale } }
        let cases: [(String, [Float])] = [
            ("every value 1.4e-45 (the least subnormal)", [Float](repeating: .leastNonzeroMagnitude, count: 384)),
            ("every value 1e-30", [Float](repeating: 1e-30, count: 384)),
            ("gaussian × 1e-30", scaled(1e-30, 384)),
            ("subnormal gaussian × 7e-43", scaled(0x1p-140, 385)),
            ("one subnormal among zeros", [0, 0, -Float.leastNonzeroMagnitude, 0]),
            ("squares subnormal, their sum barely normal", [Float](repeating: 5.6e-21, count: 384)),
            ("every value 1e30", [Float](repeating: 1e30, count: 384)),
            ("gaussian × 1e30", scaled(1e30, 383)),
            ("every value the largest finite", [Float](repeating: .greatestFiniteMagnitude, count: 17)),
            ("mixed 9e-41 and 1e20", (0..<100).map { $0 % 2 == 0 ? 0x1p-133 : 1e20 }),
        ]
        try forEachLevel { level in
            for (name, vector) in cases {
                let length = Reference.dot(vector, vector).squareRoot(), norm = SIMDKernels.norm(vector)
                // To Float's precision, or to its spacing where the norm itself is subnormal.
                #expect(abs(Double(norm) - length) <= max(1e-6 * length, Double(Float.leastNonzeroMagnitude))
                        || (length > Double(Float.greatestFiniteMagnitude) && norm == .infinity),
                        "\(level) \(name): norm \(norm), expected \(length)")
                var unit = vector
                try SIMDKernels.normalize(&unit)
                let error = zip(unit, vector).map { abs(Double($0) - Double($1) / length) }.max()!
                #expect(error <= 1e-6, "\(level) \(name): off the reference by \(error)")
                #expect(abs(Reference.dot(unit, unit).squareRoot() - 1) <= 1e-6, "\(level) \(name)")
                var matrix = try Matrix(rowArrays: [vector, vector.map { -$0 }])
                try matrix.normalizeRows()
                #expect(Array(matrix.row(0)) == unit && Array(matrix.row(1)) == unit.map { -$0 }, "\(level) \(name): normalizeRows")
            }
            for refused: [Float] in [[0, 0, 0], [-0.0, 0], [.leastNonzeroMagnitude, .nan], [1e30, .infinity, 1]] {
                var x = refused
                #expect(throws: MathError.cannotNormalize(rows: [0])) { try SIMDKernels.normalize(&x) }
                #expect(x.elementsEqual(refused) { $0 == $1 || ($0.isNaN && $1.isNaN) }, "\(refused) was changed")
            }
            var mixed = try Matrix(rowArrays: [[.leastNonzeroMagnitude, 0], [0, 0], [1e30, 1e30], [.nan, 1]])
            let before = mixed.values
            #expect(throws: MathError.cannotNormalize(rows: [1, 3])) { try mixed.normalizeRows() }
            #expect(mixed.values.elementsEqual(before) { $0 == $1 || ($0.isNaN && $1.isNaN) })
        }
    }

    /// Rows are stored as x · 127 / max|x| rounded to nearest even (ties, a zero row and rows
    /// of extreme magnitude included) with the scale max|x| / 127, and the gathered int8 scores
    /// are the scale times the exact dot product of the stored codes, within fp32 rounding, on
    /// every variant.
    @Test func int8RowsRoundToNearestEvenAndGatherTheirScores() throws {
        var data = TestData(seed: 24)
        // With a largest magnitude of 127 every value is its own scaled value: ties round to even.
        let specials: [Float] = [127, -127, 0.5, 1.5, 2.5, -0.5, -3.5, 126.5, 0.49999997, 0.50000006, 1e-30, 0, -64.25, 100.75,
                                 -0.75, 63.5]
        forEachLevel { level in
            for count in edgeSizes + [383, 384, 385] + [specials.count] {
                let rows = count == specials.count ? [specials, specials.map { $0 * 1e30 }, specials.map { $0 * 1e-41 }, [Float](repeating: 0, count: count)]
                                                   : [data.vector(count), data.vector(count).map { $0 * 1e-20 }, data.vector(count), data.vector(count).map { $0 * 1e-41 }]
                var codes = [Int8](repeating: 0, count: rows.count * count)
                var scales = [Float](repeating: 0, count: rows.count)
                for (r, row) in rows.enumerated() {
                    scales[r] = codes.withUnsafeMutableBufferPointer { out in
                        row.withUnsafeBufferPointer { SIMDKernels.encodeInt8Row($0, into: out.baseAddress! + r * count) }
                    }
                    let largest = Double(row.map(abs).max() ?? 0)
                    #expect(abs(Double(scales[r]) - largest / 127) <= 1e-6 * largest / 127 + Double(Float.leastNonzeroMagnitude),
                            "\(level) n=\(count) row \(r)")
                    for (i, x) in row.enumerated() {
                        let expected = largest == 0 ? 0 : (Double(x) * 127 / largest).rounded(.toNearestOrEven)
                        let code = Double(codes[r * count + i])
                        // Exact but for values within float rounding of a tie (the kernel scales in fp32).
                        let scaled = largest == 0 ? 0 : Double(x) * 127 / largest
                        let nearTie = abs(abs(scaled - scaled.rounded(.down)) - 0.5) < 1e-4
                        #expect(code == expected || (nearTie && abs(code - scaled) <= 0.5 + 1e-4), "\(level) n=\(count) row \(r) x=\(x)")
                    }
                }
                if count == specials.count {  // the exact ties: 127 / 127 is 1, so no rounding precedes them
                    #expect(Array(codes[0..<count]) == [127, -127, 0, 2, 2, 0, -4, 126, 0, 1, 0, 0, -64, 101, -1, 64], "\(level)")
                }
                let query = data.vector(count)
                let slots: [Int32] = [2, 0, 1, 1, 3, 2, 0, 3]
                var out = [Float](repeating: .nan, count: slots.count)
                codes.withUnsafeBufferPointer { c in
                    scales.withUnsafeBufferPointer { s in
                        slots.withUnsafeBufferPointer { sl in
                            query.withUnsafeBufferPointer { q in SIMDKernels.gatherDots(int8Rows: c.baseAddress!, scales: s.baseAddress!, slots: sl, query: q, into: &out) }
                        }
                    }
                }
                for (i, slot) in slots.enumerated() {
                    let stored = (0..<count).map { Double(codes[Int(slot) * count + $0]) }
                    let exact = Double(scales[Int(slot)]) * zip(stored, query).reduce(0) { $0 + $1.0 * Double($1.1) }
                    let magnitude = Double(scales[Int(slot)]) * zip(stored, query).reduce(0) { $0 + abs($1.0 * Double($1.1)) }
                    #expect(abs(Double(out[i]) - exact) <= 1e-6 * magnitude + 1e-44, "\(level) n=\(count) slot \(slot)")
                }
            }
        }
    }

    @Test func topKMatchesASortWithTiesNaNAndOversizedK() throws {
        var data = TestData(seed: 21)
        forEachLevel { level in
            for count in edgeSizes + [1000, 10_007] {
                // Few distinct values force many ties; a few NaNs must never be chosen.
                var scores = data.vector(count).map { ($0 * 4).rounded() / 4 }
                for i in stride(from: 3, to: count, by: 97) { scores[i] = .nan }
                for k in [0, 1, 5, 16, 17, 100, count + 3] {
                    #expect(SIMDKernels.topK(scores, k: k) == Reference.topK(scores, k: k), "\(level) n=\(count) k=\(k)")
                }
                // A floor: scores below it never selected, also when fewer than k reach it (a sparse
                // vector, mostly 0, as lexical scores are).
                let sparse = scores.enumerated().map { $0.offset % 7 == 0 ? $0.element : 0 }
                for k in [1, 17, count + 3] {
                    for floor: Float in [.leastNonzeroMagnitude, 0, 1.5] {
                        #expect(SIMDKernels.topK(sparse, k: k, atLeast: floor) == Reference.topK(sparse, k: k, atLeast: floor),
                                "\(level) n=\(count) k=\(k) floor \(floor)")
                    }
                }
            }
            #expect(SIMDKernels.topK([Float](), k: 3).isEmpty)
            #expect(SIMDKernels.topK([-Float.infinity, 1, -Float.infinity], k: 3).map(\.index) == [1, 0, 2])
        }
    }

    @Test func selectionAcrossSeveralOffersUsesGlobalIndices() throws {
        var data = TestData(seed: 22)
        let scores = data.vector(5000)
        forEachLevel { _ in
            var selection = TopKSelection(k: 10)
            for start in stride(from: 0, to: 5000, by: 1234) {
                let end = min(start + 1234, 5000)
                scores[start..<end].withUnsafeBufferPointer { selection.offer(scores: $0, firstIndex: start) }
            }
            #expect(selection.finish() == Reference.topK(scores, k: 10))
        }
    }

    @Test func fusedInnerProductTopKMatchesScoresThenSort() throws {
        var data = TestData(seed: 23)
        try forEachLevel { level in
            for (rows, dim) in [(0, 8), (1, 1), (15, 7), (16, 16), (17, 384), (1000, 33), (2049, 384)] {
                let m = data.matrix(rows, dim)
                let q = data.vector(dim)
                let exact = (0..<rows).map { Float(Reference.dot(Array(m.row($0)), q)) }
                for k in [1, 10, rows + 1] {
                    let fused = try m.topKInnerProducts(with: q, k: k)
                    let expected = Reference.topK(exact, k: k)
                    #expect(fused.map(\.index) == expected.map(\.index), "\(level) rows=\(rows) dim=\(dim) k=\(k)")
                    #expect(zip(fused, expected).allSatisfy { abs($0.score - $1.score) <= 1e-4 })
                }
            }
            #expect(throws: MathError.self) { try Matrix(rows: 3, cols: 4).topKInnerProducts(with: [Float](repeating: 0, count: 5), k: 1) }
        }
    }

    @Test func selectingALevelTheCPULacksChangesNothing() {
        let before = SIMDKernels.activeLevel
        if SIMDKernels.bestLevel < .avx512 {
            #expect(!SIMDKernels.select(.avx512))
            #expect(SIMDKernels.activeLevel == before)
        }
        #expect(CPUFeatures.current.simdLevel >= SIMDKernels.bestLevel || SIMDKernels.bestLevel == .avx512)
    }

    /// AMX is reported as the kernel (Linux) lists it, the tile products run only where it is
    /// granted, and they follow the kernel level: off below AVX-512, back on with it.
    @Test func tileProductsFollowTheCPUAndTheLevel() {
        if let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) {
            let flags = Set(line.split(separator: " ").map(String.init))
            #expect(CPUFeatures.current.contains(.amx) == ["amx_tile", "amx_int8", "amx_bf16"].allSatisfy(flags.contains))
        }
        #expect(TransformerKernels.tileProductsAvailable == TransformerKernels.useTileProducts(true))
        if !TransformerKernels.tileProductsAvailable { #expect(!TransformerKernels.tileProducts) }
        guard TransformerKernels.tileProductsAvailable else { return }
        let before = SIMDKernels.activeLevel
        defer { SIMDKernels.select(before) }
        #expect(SIMDKernels.select(.avx2) && !TransformerKernels.tileProducts && !TransformerKernels.useTileProducts(true))
        #expect(SIMDKernels.select(.avx512) && TransformerKernels.tileProducts)
    }

    /// CRC-32C has its own switch: the table path and, where the CPU has SSE4.2, the crc32
    /// instruction; the kernel level does not move it.
    @Test func crc32cMatchesTheStandardCheckValueOnBothPaths() {
        let original = gk_crc32c_active_path()
        defer { gk_crc32c_select(original) }
        let data = Array("123456789".utf8)
        var rng = SplitMix64(seed: 4)
        let big = (0..<100_003).map { _ in UInt8.random(in: 0...255, using: &rng) }
        var results = [[UInt32]]()
        for path in [GK_CRC32C_PORTABLE, gk_crc32c_best_path()] {
            #expect(gk_crc32c_select(path))
            let check = data.withUnsafeBytes { BinaryFile.checksum($0) }
            #expect(check == 0xE306_9283, "\(path)")
            results.append([check, big.withUnsafeBytes { BinaryFile.checksum($0) }])
        }
        #expect(results[0] == results[1])
    }

    @Test func crc32cPathDoesNotFollowTheKernelLevel() {
        let original = SIMDKernels.activeLevel
        defer { SIMDKernels.select(original) }
        let path = gk_crc32c_active_path()
        SIMDKernels.select(.sse)
        #expect(gk_crc32c_active_path() == path)
    }
}
