import GantryMath
import Testing

@Suite("Matrix")
struct MatrixTests {
    @Test func initFromFlatBufferChecksTheShape() throws {
        let m = try Matrix(rows: 2, cols: 3, values: [1, 2, 3, 4, 5, 6])
        #expect(m[1, 0] == 4)
        #expect(m.shape == Shape(rows: 2, cols: 3))
        #expect(throws: MathError.invalidShape(rows: 2, cols: 3, valueCount: 5)) {
            try Matrix(rows: 2, cols: 3, values: [1, 2, 3, 4, 5])
        }
        #expect(throws: MathError.self) { try Matrix(rows: -1, cols: 3, values: []) }
        #expect(try Matrix(rows: 0, cols: 5, values: []).shape == Shape(rows: 0, cols: 5))
    }

    @Test func initFromRowsRejectsRaggedRows() throws {
        let m = try Matrix(rowArrays: [[1, 2], [3, 4], [5, 6]])
        #expect(m.values == [1, 2, 3, 4, 5, 6])
        let error = #expect(throws: MathError.self) { try Matrix(rowArrays: [[1, 2], [3]]) }
        #expect(error == .raggedRows(row: 1, expectedLength: 2, foundLength: 1))
        #expect(error.map { "\($0)" }?.contains("row 1 has 1 values, expected 2") == true)
        #expect(try Matrix(rowArrays: [], cols: 4).shape == Shape(rows: 0, cols: 4))
    }

    @Test func rowAccessSharesStorage() throws {
        var m = try Matrix(rowArrays: [[1, 2, 3], [4, 5, 6]])
        #expect(Array(m.row(1)) == [4, 5, 6])
        #expect(m.withRow(0) { Array($0) } == [1, 2, 3])
        try m.setRow(0, to: [7, 8, 9])
        #expect(m.values == [7, 8, 9, 4, 5, 6])
        #expect(throws: MathError.lengthMismatch(operation: "setRow", left: 3, right: 2)) { try m.setRow(1, to: [1, 2]) }
        #expect(m.values == [7, 8, 9, 4, 5, 6])
    }

    @Test func transposeAndIdentity() throws {
        let m = try Matrix(rowArrays: [[1, 2, 3], [4, 5, 6]])
        #expect(m.transposed() == (try Matrix(rowArrays: [[1, 4], [2, 5], [3, 6]])))
        #expect(Matrix.identity(3).values == [1, 0, 0, 0, 1, 0, 0, 0, 1])
        #expect(Matrix(rows: 0, cols: 3).transposed().shape == Shape(rows: 3, cols: 0))
    }

    @Test func findsNonFiniteElements() throws {
        var m = Matrix(rows: 3, cols: 4)
        #expect(m.firstNonFinite() == nil)
        m[2, 1] = .nan
        #expect(m.firstNonFinite()! == (2, 1))
        m[1, 3] = .infinity
        #expect(m.firstNonFinite()! == (1, 3))
    }

    @Test func normalizeRowsIsAllOrNothing() throws {
        var m = try Matrix(rowArrays: [[3, 4], [0, 0], [1, 0], [.nan, 1]])
        let before = m
        #expect(throws: MathError.cannotNormalize(rows: [1, 3])) { try m.normalizeRows() }
        #expect(m == before)
        var good = try Matrix(rowArrays: [[3, 4], [0, 2]])
        try good.normalizeRows()
        #expect(good.values == [0.6, 0.8, 0, 1])
        #expect(good.rowNorms() == [1, 1])
    }

    @Test func seededRandomMatricesRepeat() {
        var a = SplitMix64(seed: 7), b = SplitMix64(seed: 7)
        let x = Matrix.randomNormal(rows: 50, cols: 40, using: &a)
        #expect(x == Matrix.randomNormal(rows: 50, cols: 40, using: &b))
        let mean = x.values.reduce(0, +) / Float(x.values.count)
        let variance = x.values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(x.values.count)
        #expect(abs(mean) < 0.1)
        #expect(abs(variance - 1) < 0.1)
    }
}

@Test func gatherRowsCopiesTheRowsInOrderAndRefusesOutOfRange() throws {
    let m = try Matrix(rows: 3, cols: 2, values: [1, 2, 3, 4, 5, 6])
    #expect(try m.gatherRows([2, 0, 2]).values == [5, 6, 1, 2, 5, 6])
    #expect(try m.gatherRows([]).rows == 0)
    #expect(throws: MathError.self) { try m.gatherRows([3]) }
    #expect(throws: MathError.self) { try m.gatherRows([-1]) }
    #expect(try Matrix(rows: 2, cols: 0, values: []).gatherRows([1, 1]).rows == 2)
}
