extension StandardMiddleware {
    /// Retries a failing handler a few times in-process before leaving the message pending
    /// (then it is redelivered after the claim time). Malformed events are not retried.
    public static func retry(attempts: Int = 3, initialBackoffMilliseconds: Int = 20) -> Middleware {
        { next in
            { message in
                var backoff = initialBackoffMilliseconds
                for _ in 1..<max(attempts, 1) {
                    do {
                        return try await next(message)
                    } catch let error as MalformedEvent {
                        throw error
                    } catch {
                        try await Task.sleep(for: .milliseconds(backoff))
                        backoff *= 2
                    }
                }
                return try await next(message)  // the last attempt: its error is the answer
            }
        }
    }
}
