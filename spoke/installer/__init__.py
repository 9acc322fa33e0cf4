"""spoke.installer"""
