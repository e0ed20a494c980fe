"""Thread pools for answering: numpy's and faiss's OpenBLAS pools and torch's OpenMP pool all start one thread
per core. On a small machine the BLAS threads, still spinning after a matrix product, take the cores from
torch while it encodes the next question; one BLAS thread roughly halves `ask` on two cores
(``evaluation/reports/retrieval.md``). The limit is process-wide, so it is set where a process loads its
retriever."""

from __future__ import annotations

from threadpoolctl import threadpool_limits


def limit_blas_threads(threads: int) -> None:
    """Use at most ``threads`` threads in every BLAS library loaded in this process, from now on."""
    threadpool_limits(limits=threads, user_api="blas")
