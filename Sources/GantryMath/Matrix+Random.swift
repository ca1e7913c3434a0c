extension Matrix {
    /// A `rows`×`cols` matrix of independent N(0, σ²) samples.
    public static func randomNormal(rows: Int, cols: Int, standardDeviation: Float = 1,
                                    using generator: inout SplitMix64) -> Matrix {
        var matrix = Matrix(rows: rows, cols: cols)
        matrix.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] = generator.nextGaussian() * standardDeviation }
        }
        return matrix
    }
}
