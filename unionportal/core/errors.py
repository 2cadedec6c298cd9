class DomainError(Exception):
    """A rule said no. The API turns it into {"detail", "code"} with `status`."""

    def __init__(self, code: str, message, status: int = 400, field: str | None = None):
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.status = status
        self.field = field
