"""The Content-Security-Policy header: the pages' policy, and a fixed one for JSON answers.

A JSON answer is data, never a page a browser renders, so it gets the policy that allows
nothing (as recommended for REST APIs), written once, instead of the pages' policy built for
every answer.
"""

from csp.middleware import CSPMiddleware

JSON_POLICY = "default-src 'none'; frame-ancestors 'none'"


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def process_response(self, request, response):
        if response.get("Content-Type", "").startswith("application/json"):
            if "Content-Security-Policy" not in response:
                response["Content-Security-Policy"] = JSON_POLICY
            return response
        return super().process_response(request, response)
