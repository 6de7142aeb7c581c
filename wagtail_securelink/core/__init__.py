"""Building blocks every concern uses: tokens, keys, addresses, languages, client
addresses, URL paths, spreadsheet-safe cells, log redaction. Imports nothing of the
package above ``conf`` and ``choices``.
"""
