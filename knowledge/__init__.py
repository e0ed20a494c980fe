"""Trial documents, their chunks, the embeddings and FAISS index, and retrieval of cited answers."""
