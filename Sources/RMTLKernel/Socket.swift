import CZMQ
import Foundation

/// A ZeroMQ socket, used by one thread at a time (iopub is shared under a lock by its owner).
final class Socket: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    struct Failure: Error, CustomStringConvertible {
        let description: String
        static func last(_ what: String) -> Failure {
            Failure(description: "\(what): " + String(cString: zmq_strerror(rmtl_zmq_errno())))
        }
    }

    init(context: UnsafeMutableRawPointer, type: Int32, endpoint: String) throws(Failure) {
        guard let h = zmq_socket(context, type) else { throw .last("zmq_socket") }
        handle = h
        var linger: Int32 = 1000  // a reply sent just before exit still leaves
        zmq_setsockopt(h, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
        guard zmq_bind(h, endpoint) == 0 else { throw .last("cannot bind \(endpoint)") }
    }

    /// Sends a multipart message; false when ZeroMQ refused it.
    @discardableResult
    func send(_ frames: [[UInt8]]) -> Bool {
        for (i, frame) in frames.enumerated() {
            let flags = i + 1 < frames.count ? ZMQ_SNDMORE : 0
            let sent = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, Int32(flags)) }
            if sent < 0 { return false }
        }
        return true
    }

    /// Receives one whole multipart message, or nil when interrupted by a signal or on error.
    func receive() -> [[UInt8]]? {
        var frames: [[UInt8]] = []
        while true {
            var msg = zmq_msg_t()
            zmq_msg_init(&msg)
            defer { zmq_msg_close(&msg) }
            var got: Int32
            repeat { got = zmq_msg_recv(&msg, handle, 0) } while got < 0 && rmtl_zmq_errno() == EINTR && !frames.isEmpty
            if got < 0 { return nil }
            let size = zmq_msg_size(&msg)
            if let data = zmq_msg_data(&msg), size > 0 {
                frames.append(Array(UnsafeRawBufferPointer(start: data, count: size)))
            } else {
                frames.append([])
            }
            if zmq_msg_more(&msg) == 0 { return frames }
        }
    }

    /// Waits up to `milliseconds` for a message on any of `sockets`; the indices that are readable.
    static func poll(_ sockets: [Socket], milliseconds: Int) -> [Int] {
        var items = sockets.map { zmq_pollitem_t(socket: $0.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
        let n = zmq_poll(&items, Int32(items.count), milliseconds)
        guard n > 0 else { return [] }  // 0: timeout; -1: EINTR (a SIGINT while idle)
        return items.indices.filter { items[$0].revents & Int16(ZMQ_POLLIN) != 0 }
    }
}
