import Foundation
import GantryIO
import GantryMath
import Testing

@Suite("Matrix and .npy files")
struct MatrixNPYTests {
    @Test func matricesRoundTripThroughNPYFiles() throws {
        var rng = SplitMix64(seed: 3)
        let m = Matrix.randomNormal(rows: 37, cols: 19, using: &rng)
        let path = NSTemporaryDirectory() + "gantry-matrix-\(UUID().uuidString).npy"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try NPYFile.write(m, to: path)
        #expect(Matrix(try NPYFile.read(path)) == m)
        #expect(NPYFile.encode(m) == NPYFile.encode(NPYArray(m)))
        let vector = Matrix(NPYArray(rows: 1, cols: 3, values: [1, 2, 3])!)
        #expect(vector.shape == Shape(rows: 1, cols: 3) && vector.values == [1, 2, 3])
    }
}
