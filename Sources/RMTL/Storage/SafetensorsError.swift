/// Why a safetensors file was refused, and where. The wording lives in `message` and `hint` below,
/// nowhere else; tests compare `description` exactly.
public struct SafetensorsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong, as data. Offsets are data offsets (relative to the byte after the header)
    /// unless named `byte`, which counts from the start of the JSON header.
    public enum Reason: Error, Equatable, Sendable {
        case cannotOpen(String)
        case cannotRead(String)
        case fileTooShort(size: Int)
        case headerLengthMaximum
        case headerTooLarge(length: UInt64)
        case headerPastEnd(length: UInt64, fileSize: Int)
        case headerNotObject(firstByte: UInt8?)
        case invalidUTF8(byte: Int)
        case nestingTooDeep(limit: Int, byte: Int)
        case json(String, byte: Int)
        case duplicateTensor(String)
        case duplicateField(tensor: String, field: String)
        case duplicateMetadataKey(String)
        case tensorNotObject(String)
        case missingField(tensor: String, field: String)
        case unknownField(tensor: String, field: String)
        case unknownDType(tensor: String, dtype: String)
        case badShape(tensor: String)
        case badOffsets(tensor: String)
        case metadataNotObject
        case metadataValueNotString(key: String)
        case shapeOverflow(tensor: String, shape: [UInt64], dtype: String)
        case sizeMismatch(tensor: String, dtype: String, shape: [Int], expected: Int, span: UInt64)
        case endBeforeBegin(tensor: String, begin: UInt64, end: UInt64)
        case outOfRange(tensor: String, begin: UInt64, end: UInt64, dataSize: UInt64)
        case overlap(
            tensor: String, begin: UInt64, end: UInt64, other: String, otherBegin: UInt64, otherEnd: UInt64)
        case gap(tensor: String, begin: UInt64, previous: String?, previousEnd: UInt64)
        case trailingBytes(count: UInt64, dataEnd: UInt64)
        // Raised by `SafetensorsFile.tensor(_:dtype:shape:path:)` when a valid file lacks what a caller needs.
        case missingTensor(String)
        case wrongDType(tensor: String, expected: String, found: String)
        case wrongShape(tensor: String, expected: [Int], found: [Int])
        // Raised by `Checkpoint.read` on a valid safetensors file that is not a usable checkpoint.
        case notACheckpoint(format: String?)
        case checkpointVersion(found: String, supported: Int)
        case dataFingerprint(found: String, expected: String)
        case checkpointDigest(found: String, stored: String)
    }

    /// The file as the user named it.
    public let path: String
    public let reason: Reason

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    /// `path: error: message`, then a `hint:` line.
    public var description: String { "\(path): error: \(message)\nhint: \(hint)" }

    /// One line saying what was expected and what was found.
    public var message: String {
        switch reason {
        case .cannotOpen(let os): "cannot open file: \(os)"
        case .cannotRead(let os): "cannot read file: \(os)"
        case .fileTooShort(let size):
            "file is \(size) bytes, shorter than the 8-byte header length of a safetensors file"
        case .headerLengthMaximum:
            "header length is 18446744073709551615 (2^64 - 1): the file is not a safetensors file"
        case .headerTooLarge(let n):
            "header length \(n) exceeds the 100000000-byte limit"
        case .headerPastEnd(let n, let size):
            "header length \(n) runs past the end of the \(size)-byte file (needs \(n) + 8 bytes)"
        case .headerNotObject(let first):
            if let first {
                "header must start with '{', found byte 0x\(hex(first))"
            } else {
                "header is empty, expected a JSON object"
            }
        case .invalidUTF8(let byte): "header is not valid UTF-8 (byte \(byte) of the header)"
        case .nestingTooDeep(let limit, let byte):
            "header JSON is nested deeper than \(limit) levels (byte \(byte) of the header)"
        case .json(let what, let byte): "header is not valid JSON: \(what) (byte \(byte) of the header)"
        case .duplicateTensor(let name): "duplicate tensor name '\(name)' in the header"
        case .duplicateField(let tensor, let field): "tensor '\(tensor)' has field '\(field)' twice"
        case .duplicateMetadataKey(let key): "duplicate __metadata__ key '\(key)'"
        case .tensorNotObject(let name):
            "entry '\(name)' must be an object with dtype, shape and data_offsets"
        case .missingField(let tensor, let field): "tensor '\(tensor)' has no '\(field)' field"
        case .unknownField(let tensor, let field): "tensor '\(tensor)' has unknown field '\(field)'"
        case .unknownDType(let tensor, let dtype): "tensor '\(tensor)' has unknown dtype '\(dtype)'"
        case .badShape(let tensor): "tensor '\(tensor)' shape must be a list of non-negative integers"
        case .badOffsets(let tensor):
            "tensor '\(tensor)' data_offsets must be a list of two non-negative integers [begin, end]"
        case .metadataNotObject: "__metadata__ must be an object of string values"
        case .metadataValueNotString(let key): "__metadata__ value of '\(key)' is not a string"
        case .shapeOverflow(let tensor, let shape, let dtype):
            "tensor '\(tensor)' shape \(list(shape)) of \(dtype) overflows a 64-bit byte count"
        case .sizeMismatch(let tensor, let dtype, let shape, let expected, let span):
            "tensor '\(tensor)' \(dtype) \(list(shape)) needs \(expected) bytes but data_offsets span \(span)"
        case .endBeforeBegin(let tensor, let b, let e):
            "tensor '\(tensor)' data_offsets [\(b), \(e)] end before they begin"
        case .outOfRange(let tensor, let b, let e, let size):
            "tensor '\(tensor)' data_offsets [\(b), \(e)] exceed the \(size) data bytes in the file"
        case .overlap(let t, let b, let e, let o, let ob, let oe):
            "tensor '\(t)' data_offsets [\(b), \(e)] overlap tensor '\(o)' [\(ob), \(oe)]"
        case .gap(let t, let b, let previous, let end):
            if let previous {
                "tensor '\(t)' starts at \(b) but tensor '\(previous)' ends at \(end): \(b - end) unused bytes"
            } else {
                "tensor '\(t)' starts at \(b), leaving data bytes [0, \(b)) unused"
            }
        case .trailingBytes(let count, let end):
            "\(count) trailing bytes after the last tensor's data (which ends at \(end))"
        case .notACheckpoint(let format):
            if let format {
                "not an rmtl checkpoint: __metadata__ format is '\(format)'"
            } else {
                "not an rmtl checkpoint: __metadata__ has no 'format' entry"
            }
        case .checkpointVersion(let found, let supported):
            "checkpoint format version '\(found)' is not supported (this rmtl reads version \(supported))"
        case .dataFingerprint(let found, let expected):
            "checkpoint was trained on data with fingerprint \(found), but the loaded data has \(expected)"
        case .checkpointDigest(let found, let stored):
            "checkpoint is corrupted: its contents hash to \(found), but it was written with content_digest \(stored)"
        case .missingTensor(let name): "no tensor named '\(name)'"
        case .wrongDType(let tensor, let expected, let found):
            "tensor '\(tensor)' is \(found), expected \(expected)"
        case .wrongShape(let tensor, let expected, let found):
            "tensor '\(tensor)' has shape \(list(found)), expected \(list(expected))"
        }
    }

    /// What the user can do about it.
    public var hint: String {
        switch reason {
        case .cannotOpen, .cannotRead: "check the path and its permissions"
        case .fileTooShort, .headerLengthMaximum, .headerTooLarge, .headerPastEnd, .headerNotObject:
            "the file is truncated or not a safetensors file; save it again"
        case .invalidUTF8, .nestingTooDeep, .json:
            "the header is corrupted; save the checkpoint again"
        case .missingTensor, .wrongDType, .wrongShape:
            "the file was written for another model or configuration; use a matching one or start afresh"
        case .notACheckpoint: "restore only files written by rmtl's save"
        case .checkpointVersion:
            "the checkpoint comes from another rmtl version; re-run the script that trained it to rebuild it"
        case .checkpointDigest:
            "the file was damaged after it was written (disk, copy or edit); use another copy or save it again"
        case .dataFingerprint:
            "load the data set the checkpoint was trained on, or retrain on this one"
        case .unknownDType:
            "supported dtypes: \(TensorDType.allCases.map(\.rawValue).joined(separator: ", "))"
        default: "the file is corrupted or was written by a faulty tool; save it again"
        }
    }

    private func hex(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
    }

    private func list<T>(_ values: [T]) -> String {
        "[" + values.map { "\($0)" }.joined(separator: ", ") + "]"
    }
}
