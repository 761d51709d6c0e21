// Every module that speaks the event contract reads and writes its JSON.
@_exported import JSON
