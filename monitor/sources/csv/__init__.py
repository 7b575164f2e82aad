"""Reading CSV files of vital signs, whole (`load.load_csv`) or line by line as a live file grows
(`monitor.sources.follow` uses `headers.resolve_header`, `lines.parse_batch` and
`merge.sort_and_merge`). `errors.CsvError` is a file that cannot be read at all.
"""
