"""What a run leaves on disk and who may trust it: the run directory, its manifest, the bounded file reader, reviews."""
