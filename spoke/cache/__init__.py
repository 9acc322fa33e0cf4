"""spoke.cache"""
