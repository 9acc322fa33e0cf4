"""spoke.metadata"""
