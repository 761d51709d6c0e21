import Tracing

/// The process's tracer, looked up once: `InstrumentationSystem.tracer` takes a lock and a dynamic
/// cast on every call, and the runtime asks for it on every delivery. A process bootstraps its
/// tracer before it starts any worker (`ProcessSupport.bootstrapTracing`); without one, `isOn` is
/// false and a delivery starts no span at all.
enum ActiveTracer {
    static let tracer: any Tracer = InstrumentationSystem.tracer
    static let isOn: Bool = !(tracer is NoOpTracer)
}
