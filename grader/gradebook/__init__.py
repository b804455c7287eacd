"""The class gradebook: one SQLite file (WAL) that remembers every student's graded result.

`book` holds the database and what decides whether a student is graded again, `hashing` the
content hashes that decision rests on, `codec` the lossless Result <-> JSON it stores.
"""
from grader.gradebook.book import (LOCK_WAIT_S, SCHEMA_VERSION, ClaimKey, Gradebook, Stored,
                                   StudentKey)
from grader.gradebook.codec import (VerifierOutput, result_from_json, result_to_json,
                                    verifier_from_json, verifier_to_json)
from grader.gradebook.hashing import (FileStamp, assignment_hash, claim_spec_hash, files_hash,
                                      sha256_text, stamp_files, student_files)

__all__ = ["LOCK_WAIT_S", "SCHEMA_VERSION", "ClaimKey", "FileStamp", "Gradebook", "Stored",
           "StudentKey", "VerifierOutput", "assignment_hash", "claim_spec_hash", "files_hash",
           "result_from_json", "result_to_json", "sha256_text", "stamp_files", "student_files",
           "verifier_from_json", "verifier_to_json"]
