import Testing
import RMTLScript

@Test func versionIsSemantic() {
    #expect(rmtlVersion.split(separator: ".").count == 3)
}
