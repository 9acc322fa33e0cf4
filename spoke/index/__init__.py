"""spoke.index"""
