/// NumPy `.npy` files of float32 matrices: the embeddings interchange format. (`Matrix`
/// reads and writes them through `Matrix(_: NPYArray)` and `NPYFile.write(_: Matrix, to:)`.)
///
/// Reads versions 1.0, 2.0 and 3.0 with dtype `<f4` in C order and a 1-D (one row) or 2-D
/// shape; anything else is refused with a message saying how to convert it. The header is
/// checked against the file size, and the payload is copied in one block.
public enum NPYFile {
    private static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// The array stored in `path`, read straight into its final storage (no copy of the file).
    public static func read(_ path: String) throws(FileFormatError) -> NPYArray {
        var reader = try BinaryReader(contentsOf: path)
        return try decode(&reader)
    }

    /// Decodes `.npy` bytes; `path` only names the source in errors.
    public static func decode(_ bytes: [UInt8], path: String) throws(FileFormatError) -> NPYArray {
        var reader = BinaryReader(bytes, path: path)
        return try decode(&reader)
    }

    /// Writes `array` as a version 1.0 `.npy` file (`<f4`, C order, shape (rows, cols)),
    /// atomically.
    public static func write(_ array: NPYArray, to path: String) throws(FileFormatError) {
        try BinaryFile.writeAtomically(encode(array), to: path)
    }

    /// The `.npy` bytes of `array`, byte-identical to what NumPy writes.
    public static func encode(_ array: NPYArray) -> [UInt8] {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(array.rows), \(array.cols)), }"
        // NumPy aligns the payload to 64 bytes: magic (6) + version (2) + length (2) + header + "\n".
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var writer = BinaryWriter(reservingCapacity: 10 + header.utf8.count + array.values.count * 4)
        magic.withUnsafeBytes { writer.append(bytes: $0) }
        writer.append(UInt8(1))
        writer.append(UInt8(0))
        writer.append(UInt16(header.utf8.count))
        header.utf8.withContiguousStorageIfAvailable { writer.append(bytes: UnsafeRawBufferPointer($0)) }
        writer.append(floats: array.values)
        return writer.bytes
    }

    private static func decode(_ reader: inout BinaryReader) throws(FileFormatError) -> NPYArray {
        let path = reader.path, size = reader.totalBytes
        guard size >= 10, try reader.readBytes(6) == magic else {
            throw .malformed(path: path, reason: "no NumPy magic (\\x93NUMPY) at the start; is this an .npy file?")
        }
        let major = try reader.read(UInt8.self)
        _ = try reader.read(UInt8.self)
        let headerLength: Int
        switch major {
        case 1: headerLength = Int(try reader.read(UInt16.self))
        case 2, 3: headerLength = Int(try reader.read(UInt32.self))
        default: throw .unsupported(path: path, reason: "NumPy format version \(major); versions 1 to 3 are read")
        }
        guard headerLength <= reader.remaining else {
            throw .truncated(path: path, expectedBytes: reader.offset + headerLength, foundBytes: size)
        }
        let headerText = String(decoding: try reader.readBytes(headerLength), as: UTF8.self)
        let header = try Header(parsing: headerText, path: path)

        guard header.descr == "<f4" || header.descr == "=f4" && Self.hostIsLittleEndian else {
            throw .unsupported(path: path, reason: "dtype '\(header.descr)'; only float32 ('<f4') is read — "
                + "convert with numpy: np.save(path, array.astype('<f4'))")
        }
        guard !header.fortranOrder else {
            throw .unsupported(path: path, reason: "Fortran (column-major) order; save with np.ascontiguousarray(array)")
        }
        let (rows, cols): (Int, Int)
        switch header.shape.count {
        case 1: (rows, cols) = (1, header.shape[0])
        case 2: (rows, cols) = (header.shape[0], header.shape[1])
        default:
            throw .unsupported(path: path, reason: "shape \(header.shape) has \(header.shape.count) dimensions; 1 or 2 are read")
        }
        let (count, overflow) = rows.multipliedReportingOverflow(by: cols)
        guard !overflow, count <= (Int.max - reader.offset) / 4 else { throw .malformed(path: path, reason: "shape \(header.shape) is too large") }
        let expected = reader.offset + count * 4
        guard size >= expected else { throw .truncated(path: path, expectedBytes: expected, foundBytes: size) }
        guard size == expected else {
            throw .malformed(path: path, reason: "\(size - expected) bytes after the \(rows)×\(cols) payload")
        }
        return NPYArray(checkedRows: rows, cols: cols, values: try reader.readFloats(count))
    }

    private static var hostIsLittleEndian: Bool { 1.littleEndian == 1 }

    /// The header dictionary: `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
    private struct Header {
        var descr = ""
        var fortranOrder = false
        var shape: [Int] = []

        init(parsing text: String, path: String) throws(FileFormatError) {
            func fail(_ why: String) -> FileFormatError { .malformed(path: path, reason: "header \(why): \(text.prefix(200))") }
            func value(of key: String) throws(FileFormatError) -> Substring {
                guard let keyRange = text.firstRange(of: "'\(key)'") ?? text.firstRange(of: "\"\(key)\""),
                      let colon = text[keyRange.upperBound...].firstIndex(of: ":")
                else { throw fail("has no '\(key)'") }
                return text[text.index(after: colon)...].drop { $0 == " " }
            }
            let descrText = try value(of: "descr")
            guard let quote = descrText.first, quote == "'" || quote == "\"",
                  let end = descrText.dropFirst().firstIndex(of: quote)
            else { throw fail("has an unreadable 'descr'") }
            descr = String(descrText[descrText.index(after: descrText.startIndex)..<end])
            let orderText = try value(of: "fortran_order")
            if orderText.hasPrefix("True") { fortranOrder = true } else if !orderText.hasPrefix("False") {
                throw fail("has an unreadable 'fortran_order'")
            }
            let shapeText = try value(of: "shape")
            guard shapeText.first == "(", let close = shapeText.firstIndex(of: ")") else { throw fail("has an unreadable 'shape'") }
            let inner = shapeText[shapeText.index(after: shapeText.startIndex)..<close]
            let parts = inner.split(separator: ",").map { $0.trimmingCharacters() }.filter { !$0.isEmpty }
            var dims = [Int]()
            for part in parts {
                guard let dim = Int(part), dim >= 0 else { throw fail("has a bad dimension '\(part)'") }
                dims.append(dim)
            }
            shape = dims
        }
    }
}

extension Substring {
    /// Without leading and trailing spaces (Foundation-free).
    fileprivate func trimmingCharacters() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
