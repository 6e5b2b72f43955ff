import Foundation
import RMTL
import Testing

/// The pieces of issue 16's exports against hand-computed values.
@Suite struct ExportUnitTests {
    @Test func protobufWireFormat() {
        var m = ProtobufMessage()
        m.int(1, 150)                 // the protobuf guide's example: 08 96 01
        m.string(2, "testing")        // 12 07 74 65 73 74 69 6e 67
        m.int(3, -1)                  // ten-byte two's complement
        m.float(4, 1)                 // 25 00 00 80 3f
        m.packedInts(5, [3, 270])     // 2a 03 03 8e 02
        #expect(m.bytes == [0x08, 0x96, 0x01, 0x12, 0x07] + Array("testing".utf8)
            + [0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]
            + [0x25, 0x00, 0x00, 0x80, 0x3F] + [0x2A, 0x03, 0x03, 0x8E, 0x02])
    }

    @Test func calibrationBinsAreEqualCountInPredictionOrder() {
        let p: [Float] = [0.9, 0.1, 0.2, 0.8, 0.3, 0.7]
        let y: [Float] = [1, 0, 0, 1, 1, 0]
        let bins = calibrationBins(probabilities: p, labels: y, bins: 3)
        // sorted: (0.1,0) (0.2,0) | (0.3,1) (0.7,0) | (0.8,1) (0.9,1)
        #expect(bins.map(\.rows) == [2, 2, 2])
        #expect(bins.map(\.observedRate) == [0, 0.5, 1])
        #expect(zip(bins.map(\.meanPrediction), [0.15, 0.5, 0.85]).allSatisfy { abs($0 - $1) < 1e-6 })
        // ECE: (|0 − 0.15| + |0.5 − 0.5| + |1 − 0.85|) / 3 = 0.1
        #expect(abs(expectedCalibrationError(bins) - 0.1) < 1e-6)
        #expect(calibrationBins(probabilities: [0.5], labels: [1], bins: 10).count == 1)
    }

    @Test func predictionTableQuotesAndRoundTripsFloats() throws {
        let interner = TokenInterner()
        let ids = ["plain", "a,b", "say \"hi\"", "two\nlines"].map { interner.intern($0) }
        var table = PredictionTable()
        table.append(.tokens("item", interner.frozen(), ids))
        table.append(.integers("time", [1, 2, 3, -4]))
        let p: [Float] = [0, 1, 0.1, Float(1e-7).nextUp]
        table.append(.floats("p", p))
        table.append(.floats("p", p))                       // a taken name gets _2
        let path = NSTemporaryDirectory() + "rmtl-table-\(getpid()).csv"
        try table.write(to: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasPrefix("item,time,p,p_2\nplain,1,0,0\n\"a,b\",2,1,1\n\"say \"\"hi\"\"\",3,0.1,0.1\n\"two\nlines\",-4,"))
        let reader = try CSVReader(path: path)
        _ = try CSVHeader(reading: reader)
        var read: [Float] = []
        while try reader.nextRecord() { read.append(Float(reader.string(2))!) }
        #expect(read == p)                                  // every Float reads back bit for bit
    }
}
