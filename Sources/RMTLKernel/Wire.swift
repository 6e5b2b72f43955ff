import CLibcrypto
import Foundation

/// A JSON object as Foundation's JSONSerialization reads and writes it.
public typealias JSONObject = [String: Any]

/// HMAC-SHA256 message signing with the connection file's key (OpenSSL's libcrypto).
/// An empty key means signing is off: the signature is empty and every message verifies (the
/// messaging spec's rule).
public struct Signer: Sendable {
    public let key: [UInt8]
    public init(key: [UInt8]) { self.key = key }

    /// Lower-case hex HMAC-SHA256 of the parts, in order.
    public func signature(_ parts: [[UInt8]]) -> String {
        guard !key.isEmpty else { return "" }
        return Signer.hex(Signer.hmacSHA256(key: key, data: parts.flatMap { $0 }))
    }

    /// Constant-time comparison, so a forger learns nothing from the time a rejection takes.
    public func verify(_ signature: [UInt8], _ parts: [[UInt8]]) -> Bool {
        guard !key.isEmpty else { return true }
        let expected = Array(self.signature(parts).utf8)
        guard signature.count == expected.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(signature, expected) { difference |= a ^ b }
        return difference == 0
    }

    public static func hmacSHA256(key: [UInt8], data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        let ok = key.withUnsafeBufferPointer { k in
            data.withUnsafeBufferPointer { d in
                out.withUnsafeMutableBufferPointer { o in
                    rmtl_hmac_sha256(k.baseAddress, k.count, d.baseAddress, d.count, o.baseAddress)
                }
            }
        }
        precondition(ok == 1, "HMAC-SHA256 failed")  // only on allocation failure inside OpenSSL
        return out
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// One Jupyter message (messaging protocol 5.3): routing identities, then the four signed JSON
/// parts, then binary buffers.
public struct Message {
    public var identities: [[UInt8]] = []
    public var header: JSONObject
    public var parentHeader: JSONObject = [:]
    public var metadata: JSONObject = [:]
    public var content: JSONObject

    public var type: String { header["msg_type"] as? String ?? "" }

    public static let delimiter = Array("<IDS|MSG>".utf8)
    public static let protocolVersion = "5.3"

    public init(identities: [[UInt8]] = [], header: JSONObject, parentHeader: JSONObject = [:],
                metadata: JSONObject = [:], content: JSONObject) {
        self.identities = identities
        self.header = header
        self.parentHeader = parentHeader
        self.metadata = metadata
        self.content = content
    }

    /// A new message of `type`, replying to (or caused by) `parent`, in the parent's session.
    public static func make(_ type: String, content: JSONObject, parent: Message?, session: String) -> Message {
        let header: JSONObject = [
            "msg_id": UUID().uuidString.lowercased(), "session": session, "username": "rmtl",
            "date": Message.timestamp(), "msg_type": type, "version": protocolVersion,
        ]
        return Message(identities: parent?.identities ?? [], header: header,
                       parentHeader: parent?.header ?? [:], content: content)
    }

    static func timestamp() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date())
    }

    /// The frames to send: identities, delimiter, signature, header, parent, metadata, content.
    public func frames(signer: Signer) -> [[UInt8]] {
        let parts = [header, parentHeader, metadata, content].map(Message.encode)
        return identities + [Message.delimiter, Array(signer.signature(parts).utf8)] + parts
    }

    public enum DecodeError: Error, Equatable, CustomStringConvertible {
        case noDelimiter, tooFewFrames, badSignature, badJSON(String)
        public var description: String {
            switch self {
            case .noDelimiter: return "no <IDS|MSG> delimiter"
            case .tooFewFrames: return "fewer than the 4 signed parts"
            case .badSignature: return "wrong or missing HMAC signature"
            case .badJSON(let part): return "the \(part) is not a JSON object"
            }
        }
    }

    /// Parses received frames, checking the signature before looking at any JSON.
    public static func decode(_ frames: [[UInt8]], signer: Signer) throws(DecodeError) -> Message {
        guard let d = frames.firstIndex(of: delimiter) else { throw .noDelimiter }
        guard frames.count >= d + 6 else { throw .tooFewFrames }
        let parts = Array(frames[(d + 2)..<(d + 6)])
        guard signer.verify(frames[d + 1], parts) else { throw .badSignature }
        var objects: [JSONObject] = []
        for (part, name) in zip(parts, ["header", "parent header", "metadata", "content"]) {
            guard let o = (try? JSONSerialization.jsonObject(with: Data(part))) as? JSONObject else { throw .badJSON(name) }
            objects.append(o)
        }
        return Message(identities: Array(frames[..<d]), header: objects[0], parentHeader: objects[1],
                       metadata: objects[2], content: objects[3])
    }

    static func encode(_ object: JSONObject) -> [UInt8] {
        // every value we put in a message is JSON-serialisable; an empty object is the safe fallback
        Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8))
    }
}
